// Session handlers for status topics: leases and binding keys to a
// connection or a lease.
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/partition.h"
#include "broker/session.h"

namespace chorus::broker {

void Session::HandleGrantLease(uint64_t correlation_id,
                               const wire::GrantLease& grant) {
  if (grant.ttl_ms() == 0) {
    return ReplyError(correlation_id,
                      absl::InvalidArgumentError("a lease needs a ttl"));
  }
  const uint64_t id = shard_->leases().Grant(grant.ttl_ms());
  wire::Frame reply;
  wire::LeaseGranted* granted = reply.mutable_lease_granted();
  granted->set_lease_id(id);
  granted->set_ttl_ms(
      std::clamp(grant.ttl_ms(), LeaseTable::kMinTtlMs, LeaseTable::kMaxTtlMs));
  Reply(correlation_id, reply);
}

void Session::WithLease(uint64_t correlation_id, uint64_t lease_id,
                        absl::AnyInvocable<bool(LeaseTable&)> call) {
  const size_t shard = static_cast<size_t>(LeaseTable::ShardOf(lease_id));
  if (shard >= context_.shards->size()) {
    return ReplyError(correlation_id,
                      absl::NotFoundError(absl::StrCat("no lease ", lease_id)));
  }
  Shard* holder = (*context_.shards)[shard].get();
  asio::post(
      holder->executor(), [self = shared_from_this(), holder, lease_id,
                           correlation_id, call = std::move(call)]() mutable {
        const bool found = call(holder->leases());
        asio::post(
            self->shard_->executor(), [self, found, lease_id, correlation_id] {
              if (!found) {
                return self->ReplyError(
                    correlation_id,
                    absl::NotFoundError(absl::StrCat(
                        "lease ", lease_id, " expired or never existed")));
              }
              wire::Frame reply;
              reply.mutable_ok();
              self->Reply(correlation_id, reply);
            });
      });
}

void Session::HandleKeepAlive(uint64_t correlation_id, uint64_t lease_id) {
  WithLease(correlation_id, lease_id, [lease_id](LeaseTable& leases) {
    return leases.KeepAlive(lease_id);
  });
}

void Session::HandleRevokeLease(uint64_t correlation_id, uint64_t lease_id) {
  WithLease(correlation_id, lease_id,
            [lease_id](LeaseTable& leases) { return leases.Revoke(lease_id); });
}

void Session::BindKeys(bool bind, uint64_t lease_id,
                       std::vector<KeyedRecord> records) {
  if (bind) {
    for (const KeyedRecord& record : records) {
      bound_keys_.Bind(record.partition, record.key, record.offset,
                       client_name_);
    }
    // Stored after the session ended (closed before its acks were read):
    // the keys' publisher is already gone.
    if (closed_) bound_keys_.MarkAllStale("session-ended");
  }
  if (lease_id == 0) return;
  const size_t shard = static_cast<size_t>(LeaseTable::ShardOf(lease_id));
  if (shard >= context_.shards->size()) return;
  Shard* holder = (*context_.shards)[shard].get();
  asio::post(
      holder->executor(), [holder, lease_id, records = std::move(records),
                           publisher = client_name_]() mutable {
        for (KeyedRecord& record : records) {
          if (holder->leases().Bind(lease_id, record.partition, record.key,
                                    record.offset, publisher)) {
            continue;
          }
          // The lease ran out before its key was stored: the key is stale now.
          asio::post(record.partition->shard()->executor(),
                     [record = std::move(record), publisher]() mutable {
                       record.partition->MarkStale(std::move(record.key),
                                                   record.offset,
                                                   "lease-expired", publisher);
                     });
        }
      });
}

}  // namespace chorus::broker
