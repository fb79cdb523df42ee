// BoundKeys: status-topic keys whose liveness hangs on something (a
// connection, a lease); when it ends, each key still bound gets a stale
// marker (Partition::MarkStale).
//
// Not thread-safe: owned by a session or a lease and used on its shard.
//
//   BoundKeys keys;
//   keys.Bind(partition, "eu-1", offset, "svc-a");
//   keys.MarkAllStale("session-ended");
#ifndef CHORUS_BROKER_BOUND_KEYS_H_
#define CHORUS_BROKER_BOUND_KEYS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace chorus::broker {

class Partition;

// A stored record of a status topic: its partition, key and offset.
struct KeyedRecord {
  std::shared_ptr<Partition> partition;
  std::string key;
  uint64_t offset = 0;
};

class BoundKeys {
 public:
  // Binds `key` of `partition` as last published at `offset` by `publisher`
  // (a later Bind of the same key replaces it).
  void Bind(std::shared_ptr<Partition> partition, std::string key,
            uint64_t offset, std::string publisher);
  // Posts a stale marker for every bound key to its partition's shard and
  // forgets them.
  void MarkAllStale(const std::string& reason);
  bool empty() const { return keys_.empty(); }

 private:
  struct Binding {
    std::shared_ptr<Partition> partition;
    uint64_t offset = 0;
    std::string publisher;
  };
  absl::flat_hash_map<std::pair<const Partition*, std::string>, Binding> keys_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_BOUND_KEYS_H_
