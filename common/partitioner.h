// Key partitioning: which partition a keyed message goes to. The client
// library chooses partitions with it and the broker places publishes that
// name none with it, so both must agree.
//
// Stable across processes, versions and machines (FNV-1a, 64-bit), so a key
// keeps its partition for the life of a topic:
//
//   uint32_t p = PartitionForKey("eu-1", topic_partitions);
#ifndef CHORUS_COMMON_PARTITIONER_H_
#define CHORUS_COMMON_PARTITIONER_H_

#include <cstdint>
#include <string_view>

namespace chorus {

// `partitions` must be at least 1.
inline uint32_t PartitionForKey(std::string_view key, uint32_t partitions) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<uint32_t>(hash % partitions);
}

}  // namespace chorus

#endif  // CHORUS_COMMON_PARTITIONER_H_
