#include "broker/cluster/cluster_directory.h"

#include <algorithm>
#include <utility>

#include "broker/cluster/placement.h"

namespace chorus::cluster {

ClusterDirectory::ClusterDirectory(std::string cluster)
    : cluster_(std::move(cluster)) {}

void ClusterDirectory::SetBrokers(
    std::map<std::string, wire::BrokerRecord> brokers) {
  std::lock_guard<std::mutex> lock(mutex_);
  brokers_ = std::move(brokers);
}

void ClusterDirectory::PutBroker(wire::BrokerRecord record) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string node_id = record.node_id();
  brokers_[std::move(node_id)] = std::move(record);
}

void ClusterDirectory::RemoveBroker(const std::string& node_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  brokers_.erase(node_id);
}

void ClusterDirectory::SetController(ControllerInfo controller) {
  std::lock_guard<std::mutex> lock(mutex_);
  controller_ = std::move(controller);
}

std::vector<std::string> ClusterDirectory::Brokers() const {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [node_id, record] : brokers_) ids.push_back(node_id);
  }
  std::sort(ids.begin(), ids.end(), NodeIdLess);
  return ids;
}

std::string ClusterDirectory::AddressOf(const std::string& node_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = brokers_.find(node_id);
  return it == brokers_.end() ? "" : it->second.address();
}

void ClusterDirectory::Describe(wire::MetadataReply* reply) const {
  std::lock_guard<std::mutex> lock(mutex_);
  reply->set_cluster(cluster_);
  for (const auto& [node_id, record] : brokers_) {
    wire::BrokerInfo* broker = reply->add_brokers();
    broker->set_node_id(node_id);
    broker->set_address(record.address());
    broker->set_rack(record.rack());
    broker->set_alive(true);
  }
  reply->set_controller(controller_.node_id);
  reply->set_controller_epoch(static_cast<uint64_t>(controller_.epoch));
}

}  // namespace chorus::cluster
