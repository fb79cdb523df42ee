#include "broker/delivery.h"

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

}  // namespace

void AppendDeliveryHead(absl::string_view topic, uint32_t partition,
                        std::string* body) {
  proto::AppendBytesField(kDeliverTopicField, AsStd(topic), body);
  proto::AppendVarintField(kDeliverPartitionField, partition, body);
}

absl::StatusOr<std::shared_ptr<const DeliveryBatch>> DeliveryBatch::FromStored(
    absl::string_view topic, uint32_t partition, std::string_view stored,
    uint64_t from) {
  absl::StatusOr<storage::StoredBatchView> view =
      storage::ParseStoredBatch(stored);
  if (!view.ok()) return view.status();
  const storage::StoredBatchHeader& header = view->header;
  if (header.base_offset + header.count <= from) {
    return absl::OutOfRangeError(
        absl::StrCat("batch at ", header.base_offset, " ends before ", from));
  }
  auto batch = std::make_shared<DeliveryBatch>();
  AppendDeliveryHead(topic, partition, &batch->body);
  if (header.base_offset >= from) {
    batch->base_offset = header.base_offset;
    batch->count = header.count;
    batch->body.append(stored);
    return batch;
  }
  // Slice: keep the encoded records from `from` on, as they are.
  const uint64_t skip = from - header.base_offset;
  proto::RecordReader reader(view->records);
  proto::RecordView record;
  uint64_t index = 0;
  std::string_view kept;
  while (reader.Next(&record)) {
    if (index++ == skip) {
      kept = std::string_view(
          record.encoded.data(),
          view->records.data() + view->records.size() - record.encoded.data());
      break;
    }
  }
  if (!reader.status().ok() || kept.empty()) {
    return absl::DataLossError(absl::StrCat(
        "stored batch at offset ", header.base_offset, " of ", topic, "/",
        partition, " has fewer records than its count"));
  }
  storage::StoredBatchHeader sliced = header;
  sliced.base_offset = from;
  sliced.count = static_cast<uint32_t>(header.count - skip);
  batch->base_offset = sliced.base_offset;
  batch->count = sliced.count;
  storage::AppendStoredBatch(sliced, kept, &batch->body);
  return batch;
}

std::string DeliveryPrefix(uint64_t subscription_id,
                           const DeliveryBatch& batch) {
  const size_t deliver_size =
      proto::VarintFieldSize(kDeliverSubscriptionIdField, subscription_id) +
      batch.body.size();
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
  return prefix;
}

}  // namespace chorus::broker
