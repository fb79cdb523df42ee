// ClusterKeys: where a cluster's records live in etcd, all under
// "/chorus/<cluster>/" so that clusters can share one etcd.
//
//   /chorus/<cluster>/brokers/<node id>   BrokerRecord, under the broker's
//   lease /chorus/<cluster>/next-node-id        the next node id to hand out
//   /chorus/<cluster>/controller          ControllerRecord, under its lease
#ifndef CHORUS_BROKER_CLUSTER_KEYS_H_
#define CHORUS_BROKER_CLUSTER_KEYS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace chorus::cluster {

class ClusterKeys {
 public:
  explicit ClusterKeys(absl::string_view cluster);

  const std::string& root() const { return root_; }
  std::string BrokersPrefix() const;
  std::string Broker(absl::string_view node_id) const;
  // The node id of a key under BrokersPrefix().
  absl::string_view NodeIdOf(absl::string_view broker_key) const;
  std::string NextNodeId() const;
  std::string Controller() const;

 private:
  std::string root_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_KEYS_H_
