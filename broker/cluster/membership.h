// Membership: this broker's registration in its cluster, under an etcd lease
// that says it is alive.
//
//   auto member = Membership::Join(etcd, keys, identity, record, options,
//                                  [] (absl::Status why) { ... });
//   member->incarnation();  // new at every start
//
// Contract: Join registers "/chorus/<cluster>/brokers/<node id>" only if no
// live broker holds it. A registration left by this broker's previous run
// (killed before its lease lapsed) is waited out for up to
// `join_timeout`; one that is still renewed after that belongs to a live
// broker with the same node id, and Join fails with kAlreadyExists naming
// its address. While joined, the lease is kept alive; if it is lost anyway
// (etcd unreachable for a session timeout), `on_lost` runs once on the
// keeper's thread: the broker must stop acting for the cluster until it
// joins again, under a new incarnation. Destruction revokes the lease, so
// that a clean stop is seen at once.
#ifndef CHORUS_BROKER_CLUSTER_MEMBERSHIP_H_
#define CHORUS_BROKER_CLUSTER_MEMBERSHIP_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "broker/cluster/broker_identity.h"
#include "broker/cluster/cluster_options.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/etcd/lease_keeper.h"
#include "broker/cluster/keys.h"
#include "proto/cluster.pb.h"

namespace chorus::cluster {

class Membership {
 public:
  static absl::StatusOr<std::unique_ptr<Membership>> Join(
      etcd::Client& etcd, const ClusterKeys& keys, wire::BrokerRecord record,
      const ClusterOptions& options, etcd::LeaseKeeper::LostCallback on_lost);
  ~Membership();

  const std::string& node_id() const { return record_.node_id(); }
  // The create revision of the registration: grows with every start.
  int64_t incarnation() const { return incarnation_; }
  // The lease the registration lives under (the controller key uses it too,
  // so that a controller's role lapses with its broker).
  int64_t lease_id() const { return lease_.id; }

 private:
  Membership(etcd::Client& etcd, wire::BrokerRecord record, etcd::Lease lease,
             int64_t incarnation);

  etcd::Client& etcd_;
  const wire::BrokerRecord record_;
  const etcd::Lease lease_;
  const int64_t incarnation_;
  std::unique_ptr<etcd::LeaseKeeper> keeper_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_MEMBERSHIP_H_
