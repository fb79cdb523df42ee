// ClusterKeys: where a cluster's records live in etcd, all under
// "/chorus/<cluster>/" so that clusters can share one etcd.
//
//   /chorus/<cluster>/brokers/<node id>   BrokerRecord, under the broker's
//   lease /chorus/<cluster>/next-node-id        the next node id to hand out
//   /chorus/<cluster>/controller          ControllerRecord, under its lease
//   /chorus/<cluster>/topics/<name>       TopicAssignment, by the controller
//   /chorus/<cluster>/topic-requests/<name>  TopicRequest, by any broker
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
  std::string TopicsPrefix() const;
  std::string Topic(absl::string_view name) const;
  std::string TopicRequestsPrefix() const;
  std::string TopicRequest(absl::string_view name) const;
  // The topic name of a key under TopicsPrefix() or TopicRequestsPrefix().
  absl::string_view TopicNameOf(absl::string_view key) const;

 private:
  std::string root_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_KEYS_H_
