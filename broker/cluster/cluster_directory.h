// ClusterDirectory: this broker's up-to-date picture of its cluster (the
// live brokers and the controller), kept from etcd by ClusterNode and read
// by sessions for Metadata and redirects (broker::ClusterView) and by the
// controller to place partitions.
//
// Contract: thread-safe; readers never wait on etcd, only on a short
// mutex held while a change is applied (Metadata is not the data path).
#ifndef CHORUS_BROKER_CLUSTER_CLUSTER_DIRECTORY_H_
#define CHORUS_BROKER_CLUSTER_CLUSTER_DIRECTORY_H_

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "broker/cluster/controller_election.h"
#include "broker/cluster_view.h"
#include "proto/cluster.pb.h"

namespace chorus::cluster {

class ClusterDirectory : public broker::ClusterView {
 public:
  explicit ClusterDirectory(std::string cluster);

  // Replaces every broker (after a full read), or applies one change.
  void SetBrokers(std::map<std::string, wire::BrokerRecord> brokers);
  void PutBroker(wire::BrokerRecord record);
  void RemoveBroker(const std::string& node_id);
  void SetController(ControllerInfo controller);

  // The node ids of the live brokers, in numeric order.
  std::vector<std::string> Brokers() const;

  // broker::ClusterView
  void Describe(wire::MetadataReply* reply) const override;
  std::string AddressOf(const std::string& node_id) const override;

 private:
  const std::string cluster_;
  mutable std::mutex mutex_;
  std::map<std::string, wire::BrokerRecord> brokers_;
  ControllerInfo controller_;
};

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_CLUSTER_DIRECTORY_H_
