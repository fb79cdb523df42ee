#include "broker/delivery.h"

#include "absl/strings/str_cat.h"
#include "proto/frame_codec.h"
#include "proto/records.h"
#include "storage/stored_batch.h"

namespace chorus::broker {
namespace {

// Field tags (number << 3 | wire type) used to frame a delivery by hand.
constexpr uint64_t kFrameDeliverTag = (18 << 3) | 2;
constexpr uint64_t kDeliverSubscriptionIdTag = (1 << 3) | 0;
constexpr uint64_t kDeliverTopicTag = (2 << 3) | 2;
constexpr uint64_t kDeliverPartitionTag = (3 << 3) | 0;

}  // namespace

void AppendDeliveryHead(absl::string_view topic, uint32_t partition,
                        std::string* body) {
  proto::AppendVarint(kDeliverTopicTag, body);
  proto::AppendVarint(topic.size(), body);
  body->append(topic.data(), topic.size());
  proto::AppendVarint(kDeliverPartitionTag, body);
  proto::AppendVarint(partition, body);
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
  const size_t deliver_size = proto::VarintSize(kDeliverSubscriptionIdTag) +
                              proto::VarintSize(subscription_id) +
                              batch.body.size();
  const size_t frame_size = proto::VarintSize(kFrameDeliverTag) +
                            proto::VarintSize(deliver_size) + deliver_size;
  std::string prefix(proto::kFrameHeaderBytes, '\0');
  proto::PutFrameLength(static_cast<uint32_t>(frame_size), prefix.data());
  proto::AppendVarint(kFrameDeliverTag, &prefix);
  proto::AppendVarint(deliver_size, &prefix);
  proto::AppendVarint(kDeliverSubscriptionIdTag, &prefix);
  proto::AppendVarint(subscription_id, &prefix);
  return prefix;
}

}  // namespace chorus::broker
