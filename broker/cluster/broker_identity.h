// BrokerIdentity: which cluster a data dir belongs to and which broker of it
// it is, kept in "<data dir>/CLUSTER" so that a broker keeps its node id
// across restarts and a data dir is never served by another cluster.
//
//   absl::StatusOr<BrokerIdentity> me =
//       LoadOrAssignIdentity(data_dir, "prod", etcd, keys);
//
// Contract: the first start takes the next node id from etcd (1, 2, 3...
// handed out by compare-and-swap, never twice) and writes the file
// durably (written aside, synced, renamed); later starts read it. A data
// dir of another cluster is kFailedPrecondition, naming both.
#ifndef CHORUS_BROKER_CLUSTER_BROKER_IDENTITY_H_
#define CHORUS_BROKER_CLUSTER_BROKER_IDENTITY_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/keys.h"

namespace chorus::cluster {

struct BrokerIdentity {
  std::string cluster;
  std::string node_id;
};

absl::StatusOr<BrokerIdentity> LoadOrAssignIdentity(const std::string& data_dir,
                                                    const std::string& cluster,
                                                    etcd::Client& etcd,
                                                    const ClusterKeys& keys);

// The identity recorded in `data_dir`, if any (for a single node, which
// must not serve a cluster broker's data).
absl::StatusOr<std::optional<BrokerIdentity>> ReadIdentity(
    const std::string& data_dir);

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_BROKER_IDENTITY_H_
