#include "broker/cluster/placement.h"

#include <algorithm>

namespace chorus::cluster {

bool NodeIdLess(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::vector<wire::PartitionMetadata> AssignReplicas(
    const std::vector<std::string>& brokers, std::map<std::string, int>& load,
    uint32_t partitions, uint32_t replication_factor) {
  std::vector<wire::PartitionMetadata> placed;
  if (brokers.empty()) return placed;
  const size_t replicas = std::min<size_t>(
      std::max<uint32_t>(replication_factor, 1), brokers.size());
  std::vector<std::string> order = brokers;
  for (uint32_t p = 0; p < partitions; ++p) {
    std::sort(order.begin(), order.end(),
              [&load](const std::string& a, const std::string& b) {
                const int load_a = load[a];
                const int load_b = load[b];
                if (load_a != load_b) return load_a < load_b;
                return NodeIdLess(a, b);
              });
    wire::PartitionMetadata& partition = placed.emplace_back();
    partition.set_partition(p);
    partition.set_leader(order.front());
    for (size_t r = 0; r < replicas; ++r) {
      partition.add_replicas(order[r]);
      partition.add_isr(order[r]);
      ++load[order[r]];
    }
  }
  return placed;
}

}  // namespace chorus::cluster
