// Placement: which brokers hold the partitions of a new topic. The
// controller calls it when it creates a topic.
//
//   std::map<std::string, int> load = ...;  // partitions each broker holds
//   auto placed = AssignReplicas({"1", "2", "3"}, load, 6, 1);
//
// Contract: every partition gets `replication_factor` distinct brokers
// (fewer when there are fewer brokers), the first being its leader. Each
// pick is the broker holding the fewest partitions so far, counting the
// ones just placed, ties broken by node id in numeric order, so partitions
// and leaders spread evenly and the result is deterministic. `load` is
// updated with what was placed. No brokers: an empty result.
#ifndef CHORUS_BROKER_CLUSTER_PLACEMENT_H_
#define CHORUS_BROKER_CLUSTER_PLACEMENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proto/protocol.pb.h"

namespace chorus::cluster {

// Orders node ids ("2" before "10"): shorter first, then by text.
bool NodeIdLess(const std::string& a, const std::string& b);

std::vector<wire::PartitionMetadata> AssignReplicas(
    const std::vector<std::string>& brokers, std::map<std::string, int>& load,
    uint32_t partitions, uint32_t replication_factor);

}  // namespace chorus::cluster

#endif  // CHORUS_BROKER_CLUSTER_PLACEMENT_H_
