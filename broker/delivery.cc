#include "broker/delivery.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/string_views.h"
#include "proto/frame_codec.h"
#include "proto/records.h"
#include "proto/wire_format.h"
#include "storage/stored_batch.h"

namespace chorus::broker {
namespace {

// Field numbers of Frame.deliver and of Deliver's own fields, used to frame
// a delivery by hand.
constexpr uint32_t kFrameDeliverField = 18;
constexpr uint32_t kDeliverSubscriptionIdField = 1;
constexpr uint32_t kDeliverTopicField = 2;
constexpr uint32_t kDeliverPartitionField = 3;
constexpr uint32_t kDeliverDeliveryCountField = 9;

}  // namespace

void AppendDeliveryHead(absl::string_view topic, uint32_t partition,
                        std::string* body) {
  proto::AppendBytesField(kDeliverTopicField, AsStd(topic), body);
  proto::AppendVarintField(kDeliverPartitionField, partition, body);
}

absl::StatusOr<std::shared_ptr<const DeliveryBatch>> DeliveryBatch::FromStored(
    absl::string_view topic, uint32_t partition, std::string_view stored,
    uint64_t from, uint64_t to) {
  absl::StatusOr<storage::StoredBatchView> view =
      storage::ParseStoredBatch(stored);
  if (!view.ok()) return view.status();
  const storage::StoredBatchHeader& header = view->header;
  const uint64_t end = header.base_offset + header.count;
  if (end <= from || header.base_offset >= to) {
    return absl::OutOfRangeError(absl::StrCat("batch at ", header.base_offset,
                                              " holds nothing in [", from, ", ",
                                              to, ")"));
  }
  auto batch = std::make_shared<DeliveryBatch>();
  batch->publisher = std::string(header.publisher);
  AppendDeliveryHead(topic, partition, &batch->body);
  if (header.base_offset >= from && end <= to) {
    batch->base_offset = header.base_offset;
    batch->count = header.count;
    batch->body.append(stored);
    return batch;
  }
  // Slice: keep the encoded records in range, as they are.
  const uint64_t first = std::max(from, header.base_offset);
  const uint64_t last = std::min(to, end);
  proto::RecordReader reader(view->records);
  proto::RecordView record;
  uint64_t offset = header.base_offset;
  const char* kept_begin = nullptr;
  const char* kept_end = nullptr;
  while (offset < last && reader.Next(&record)) {
    if (offset == first) kept_begin = record.encoded.data();
    kept_end = record.encoded.data() + record.encoded.size();
    ++offset;
  }
  if (!reader.status().ok() || kept_begin == nullptr || offset != last) {
    return absl::DataLossError(absl::StrCat(
        "stored batch at offset ", header.base_offset, " of ", topic, "/",
        partition, " has fewer records than its count"));
  }
  storage::StoredBatchHeader sliced = header;
  sliced.base_offset = first;
  sliced.count = static_cast<uint32_t>(last - first);
  // The sequence is that of the first record: it moves with the slice.
  if (sliced.producer_id != 0) {
    sliced.producer_sequence += first - header.base_offset;
  }
  batch->base_offset = sliced.base_offset;
  batch->count = sliced.count;
  storage::AppendStoredBatch(
      sliced, std::string_view(kept_begin, kept_end - kept_begin),
      &batch->body);
  return batch;
}

std::string DeliveryPrefix(uint64_t subscription_id, const DeliveryBatch& batch,
                           uint32_t delivery_count) {
  const size_t count_size =
      delivery_count == 0
          ? 0
          : proto::VarintFieldSize(kDeliverDeliveryCountField, delivery_count);
  const size_t deliver_size =
      proto::VarintFieldSize(kDeliverSubscriptionIdField, subscription_id) +
      count_size + batch.body.size();
  const size_t frame_size =
      proto::BytesFieldSize(kFrameDeliverField, deliver_size);
  std::string prefix(proto::kFrameHeaderBytes, '\0');
  proto::PutFrameLength(static_cast<uint32_t>(frame_size), prefix.data());
  // The Deliver field's tag and length; its payload follows in two parts.
  proto::AppendVarint(
      proto::FieldTag(kFrameDeliverField, proto::kLengthDelimited), &prefix);
  proto::AppendVarint(deliver_size, &prefix);
  proto::AppendVarintField(kDeliverSubscriptionIdField, subscription_id,
                           &prefix);
  if (delivery_count != 0) {
    proto::AppendVarintField(kDeliverDeliveryCountField, delivery_count,
                             &prefix);
  }
  return prefix;
}

}  // namespace chorus::broker
