// LeaseTable: the leases granted through one shard. A lease keeps the
// status keys published under it alive while its holder keeps it alive
// (KeepAlive within the TTL); when it runs out or is revoked, each key still
// bound gets a stale marker.
//
// A lease id names its shard (low 8 bits), so any session finds the table
// that holds it: shards[LeaseTable::ShardOf(id)]->leases().
//
// Not thread-safe: lives on its shard; call only from that shard's thread.
//
//   uint64_t id = table.Grant(10'000);
//   table.Bind(id, partition, "eu-1", offset, "svc-a");
//   table.KeepAlive(id);
#ifndef CHORUS_BROKER_LEASE_TABLE_H_
#define CHORUS_BROKER_LEASE_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "asio.hpp"
#include "broker/bound_keys.h"

namespace chorus::broker {

class LeaseTable {
 public:
  // Shortest and longest TTL a lease may have.
  static constexpr uint32_t kMinTtlMs = 100;
  static constexpr uint32_t kMaxTtlMs = 24 * 60 * 60 * 1000;

  LeaseTable(int shard_index, asio::io_context::executor_type executor);
  ~LeaseTable();

  static int ShardOf(uint64_t lease_id) {
    return static_cast<int>(lease_id & 0xff);
  }

  // A new lease that runs out `ttl_ms` from now (clamped to the limits).
  uint64_t Grant(uint32_t ttl_ms);
  // Restarts the lease's TTL; false if it is gone.
  bool KeepAlive(uint64_t lease_id);
  // Ends the lease now; false if it is gone.
  bool Revoke(uint64_t lease_id);
  // Binds a key to the lease; false if it is gone (the caller then marks
  // the key stale itself).
  bool Bind(uint64_t lease_id, std::shared_ptr<Partition> partition,
            std::string key, uint64_t offset, std::string publisher);

 private:
  struct Lease {
    uint32_t ttl_ms = 0;
    std::unique_ptr<asio::steady_timer> timer;
    BoundKeys keys;
  };
  void Arm(uint64_t lease_id, Lease& lease);
  void End(uint64_t lease_id, const std::string& reason);

  const int shard_index_;
  asio::io_context::executor_type executor_;
  uint64_t next_sequence_ = 1;
  absl::flat_hash_map<uint64_t, Lease> leases_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_LEASE_TABLE_H_
