// ControllerElection: campaigns, from a thread of its own, for the role of
// the cluster's controller, and fences the controller's writes by its epoch.
//
//   ControllerElection election(etcd, keys, node_id, membership.lease_id(),
//                               [](ControllerInfo now) { ... });
//   election.FencedTxn(epoch, {etcd::Op::Put(key, value)});
//
// Contract: the controller is whoever created "/chorus/<cluster>/controller"
// (under its broker's lease); its epoch is that key's create revision, so
// every new controller has a higher one. A broker that is not the
// controller watches the key and campaigns again as soon as it is gone
// (its broker stopped, or its lease lapsed). `on_change` runs on the
// election's thread whenever the known controller changes (to none while
// the role is vacant; to this broker when it wins). A write through FencedTxn
// happens only while `epoch` is still the controller's: a controller that
// was paused or cut off past its lease gets kFailedPrecondition and changes
// nothing (and a failed condition of the write itself is kAborted). The
// destructor resigns (deletes the key if this broker holds it).
#ifndef CHORUS_BROKER_CLUSTER_CONTROLLER_ELECTION_H_
#define CHORUS_BROKER_CLUSTER_CONTROLLER_ELECTION_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/keys.h"

namespace chorus::cluster {

// The controller as last seen; epoch 0 while there is none.
struct ControllerInfo {
  std::string node_id;
  int64_t epoch = 0;
};

class ControllerElection {
 public:
  using ChangeCallback = std::function<void(const ControllerInfo&)>;

  ControllerElection(etcd::Client& etcd, const ClusterKeys& keys,
                     std::string node_id, int64_t lease_id,
                     ChangeCallback on_change);
  ~ControllerElection();
  ControllerElection(const ControllerElection&) = delete;
  ControllerElection& operator=(const ControllerElection&) = delete;

  ControllerInfo current() const;

  // Runs `ops` (and checks `compares`) only while `epoch` is the
  // controller's epoch; kFailedPrecondition when it was superseded,
  // kAborted when it was not but the compares failed.
  static absl::StatusOr<etcd::TxnResult> FencedTxn(
      etcd::Client& etcd, const ClusterKeys& keys, int64_t epoch,
      std::vector<etcd::Compare> compares, const std::vector<etcd::Op>& ops);

 private:
  void Run();
  // One round: win, or learn who holds the role. False on an etcd error.
  bool Campaign();
  // Waits until the controller key was deleted (or the election stops).
  void WaitForVacancy();
  bool Stopping();

  etcd::Client& etcd_;
  const ClusterKeys keys_;
  const std::string node_id_;
  const int64_t lease_id_;
  const ChangeCallback on_change_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool vacant_ = false;
  ControllerInfo current_;
  int64_t seen_revision_ = 0;
  std::thread thread_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_CONTROLLER_ELECTION_H_
