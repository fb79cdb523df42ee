// DeliveryBatch: the bytes of one Deliver push, encoded once and shared by
// every subscriber that gets it (DESIGN.md "Threading", fan-out).
//
// The shared body holds Deliver fields 2..8: the topic, the partition, and
// the stored batch exactly as it sits in RocksDB. Each subscriber adds only
// a small prefix (frame length, Deliver tag and length, subscription id):
//
//   auto batch = DeliveryBatch::FromStored("acme.x", 0, stored_value, from);
//   std::string prefix = DeliveryPrefix(subscription_id, **batch);
//   write({prefix, (*batch)->body});
#ifndef CHORUS_BROKER_DELIVERY_H_
#define CHORUS_BROKER_DELIVERY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace chorus::broker {

struct DeliveryBatch {
  uint64_t base_offset = 0;
  uint32_t count = 0;
  std::string publisher;  // identity stamped by the broker
  std::string body;

  uint64_t end_offset() const { return base_offset + count; }
  // What sending this batch costs a subscription's byte credit: the shared
  // body, not the per-subscriber prefix. A client grants back the same
  // count, computed from the Deliver it decodes (client
  // DeliveryCreditBytes); the two must agree or the credit drifts.
  uint64_t credit_bytes() const { return body.size(); }

  // Builds a batch from a stored value, keeping only offsets in [from, to)
  // (the other records are sliced off, never re-encoded). kDataLoss if the
  // value does not decode; kOutOfRange if it holds nothing in the range.
  static absl::StatusOr<std::shared_ptr<const DeliveryBatch>> FromStored(
      absl::string_view topic, uint32_t partition, std::string_view stored,
      uint64_t from, uint64_t to = UINT64_MAX);
};

// Appends Deliver fields 2 and 3 (topic, partition): what precedes the stored
// bytes in a batch body.
void AppendDeliveryHead(absl::string_view topic, uint32_t partition,
                        std::string* body);

// The per-subscriber bytes that precede `batch.body` on the wire: a complete
// frame header whose Frame holds one Deliver for `subscription_id`, with
// `delivery_count` when it is not zero.
std::string DeliveryPrefix(uint64_t subscription_id, const DeliveryBatch& batch,
                           uint32_t delivery_count = 0);

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_DELIVERY_H_
