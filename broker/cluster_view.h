// ClusterView: what sessions tell clients about the cluster their broker is
// part of (the brokers, the controller). The cluster code implements it
// (broker/cluster/cluster_directory.h); a single node has none.
//
// Contract: thread-safe; Describe is called from any shard's thread, off the
// data path (Metadata requests), and never waits on etcd.
#ifndef CHORUS_BROKER_CLUSTER_VIEW_H_
#define CHORUS_BROKER_CLUSTER_VIEW_H_

#include <string>

#include "proto/protocol.pb.h"

namespace chorus::broker {

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  // Fills `reply`'s cluster, brokers, controller and controller_epoch.
  virtual void Describe(wire::MetadataReply* reply) const = 0;
  // The address of the live broker `node_id`, or "" when it is not live.
  virtual std::string AddressOf(const std::string& node_id) const = 0;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_CLUSTER_VIEW_H_
