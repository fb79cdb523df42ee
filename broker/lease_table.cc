#include "broker/lease_table.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace chorus::broker {

LeaseTable::LeaseTable(int shard_index,
                       asio::io_context::executor_type executor)
    : shard_index_(shard_index), executor_(executor) {}

LeaseTable::~LeaseTable() {
  for (auto& [id, lease] : leases_) lease.timer->cancel();
}

uint64_t LeaseTable::Grant(uint32_t ttl_ms) {
  const uint64_t id =
      (next_sequence_++ << 8) | static_cast<uint64_t>(shard_index_);
  Lease& lease = leases_[id];
  lease.ttl_ms = std::clamp(ttl_ms, kMinTtlMs, kMaxTtlMs);
  lease.timer = std::make_unique<asio::steady_timer>(executor_);
  Arm(id, lease);
  return id;
}

void LeaseTable::Arm(uint64_t lease_id, Lease& lease) {
  // Moving the expiry cancels the wait in progress, whose handler then sees
  // operation_aborted and does nothing.
  lease.timer->expires_after(std::chrono::milliseconds(lease.ttl_ms));
  lease.timer->async_wait([this, lease_id](const asio::error_code& ec) {
    if (ec) return;
    End(lease_id, "lease-expired");
  });
}

bool LeaseTable::KeepAlive(uint64_t lease_id) {
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return false;
  Arm(lease_id, it->second);
  return true;
}

bool LeaseTable::Revoke(uint64_t lease_id) {
  if (!leases_.contains(lease_id)) return false;
  End(lease_id, "lease-revoked");
  return true;
}

bool LeaseTable::Bind(uint64_t lease_id, std::shared_ptr<Partition> partition,
                      std::string key, uint64_t offset, std::string publisher) {
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return false;
  it->second.keys.Bind(std::move(partition), std::move(key), offset,
                       std::move(publisher));
  return true;
}

void LeaseTable::End(uint64_t lease_id, const std::string& reason) {
  auto it = leases_.find(lease_id);
  if (it == leases_.end()) return;
  it->second.timer->cancel();
  it->second.keys.MarkAllStale(reason);
  leases_.erase(it);
}

}  // namespace chorus::broker
