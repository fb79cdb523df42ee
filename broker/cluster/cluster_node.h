// ClusterNode: a broker's part in a cluster. It connects to etcd, knows which
// broker of which cluster the data dir is, registers the broker as alive,
// campaigns for the controller (and runs the TopicController while it is
// the controller), keeps the ClusterDirectory that sessions describe the
// cluster from, and applies the controller's topics to the broker's
// TopicRegistry.
//
//   auto node = ClusterNode::Open(options.cluster, data_dir);
//   broker_options.node_id = (*node)->identity().node_id;
//   auto broker = Broker::Start(broker_options, (*node)->directory(),
//                               (*node)->topic_admin());
//   (*node)->Join(advertised_address, &(*broker)->registry());
//
// Contract: Join first reconciles the registry with the topics in etcd
// (dropping topics deleted while the broker was away), then follows them.
// Open retries an unreachable etcd (logging each failure) for up
// to join_timeout, then fails with kUnavailable; a data dir of another
// cluster is kFailedPrecondition. Join fails with kAlreadyExists when a live
// broker holds this node id. Once joined, a lost lease (etcd unreachable for
// a session timeout) is logged, and the node joins again under a new
// incarnation as soon as etcd answers. The destructor leaves the cluster
// (resigns as controller, revokes the lease). Runs its own threads; calls
// are made from one control thread.
#ifndef CHORUS_BROKER_CLUSTER_CLUSTER_NODE_H_
#define CHORUS_BROKER_CLUSTER_CLUSTER_NODE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "broker/cluster/broker_identity.h"
#include "broker/cluster/cluster_directory.h"
#include "broker/cluster/cluster_options.h"
#include "broker/cluster/controller_election.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/etcd/watcher.h"
#include "broker/cluster/keys.h"
#include "broker/cluster/membership.h"
#include "broker/cluster/topic_admin_service.h"
#include "broker/cluster/topic_controller.h"
#include "broker/topic_registry.h"

namespace chorus::cluster {

class ClusterNode {
 public:
  static absl::StatusOr<std::unique_ptr<ClusterNode>> Open(
      const ClusterOptions& options, const std::string& data_dir);
  ~ClusterNode();

  const BrokerIdentity& identity() const { return identity_; }
  const std::shared_ptr<ClusterDirectory>& directory() const {
    return directory_;
  }
  const std::shared_ptr<TopicAdminService>& topic_admin() const {
    return topic_admin_;
  }
  // `registry` outlives this node's membership (the destructor).
  absl::Status Join(const std::string& address,
                    broker::TopicRegistry* registry);

 private:
  ClusterNode(ClusterOptions options, std::unique_ptr<etcd::Client> etcd,
              BrokerIdentity identity);
  // Registers, reads the brokers, starts the watch and the election.
  absl::Status Enter();
  // Stops the election and the watch, and drops the registration.
  void Leave();
  void WatchBrokers(int64_t from_revision);
  // Reconciles the registry with etcd's topics, then watches them.
  absl::Status SyncTopics();
  void WatchTopics(int64_t from_revision);
  void ApplyTopic(const etcd::KeyValue& kv);
  void DropTopic(const std::string& name);
  void OnControllerChange(const ControllerInfo& now);
  // Asks the supervisor to join again (after a lost lease or watch).
  void RequestRejoin();
  // The supervisor thread: joins again after a lost lease or a broken
  // watch.
  void Supervise();

  const ClusterOptions options_;
  const std::unique_ptr<etcd::Client> etcd_;
  const ClusterKeys keys_;
  const BrokerIdentity identity_;
  const std::shared_ptr<ClusterDirectory> directory_;
  const std::shared_ptr<TopicAdminService> topic_admin_;
  wire::BrokerRecord record_;
  broker::TopicRegistry* registry_ = nullptr;

  // Owned by the control thread until Join, then by the supervisor.
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<ControllerElection> election_;
  std::unique_ptr<etcd::Watcher> brokers_watch_;
  std::unique_ptr<etcd::Watcher> topics_watch_;

  std::mutex controller_mutex_;  // the election's thread starts and stops it
  std::unique_ptr<TopicController> controller_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool rejoin_ = false;
  std::thread supervisor_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_CLUSTER_NODE_H_
