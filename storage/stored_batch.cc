#include "storage/stored_batch.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proto/wire_format.h"
#include "storage/key_coding.h"

namespace chorus::storage {
namespace {

// wire::StoredBatch field numbers (proto/storage.proto), equal to Deliver's.
constexpr uint32_t kBaseOffsetField = 4;
constexpr uint32_t kTimestampField = 5;
constexpr uint32_t kPublisherField = 6;
constexpr uint32_t kCountField = 7;
constexpr uint32_t kRecordsField = 8;
constexpr uint32_t kProducerIdField = 10;
constexpr uint32_t kProducerSequenceField = 11;

// proto3 leaves zero values out.
void AppendNonZero(uint32_t field, uint64_t value, std::string* out) {
  if (value != 0) proto::AppendVarintField(field, value, out);
}
size_t NonZeroSize(uint32_t field, uint64_t value) {
  return value == 0 ? 0 : proto::VarintFieldSize(field, value);
}
void AppendNonEmpty(uint32_t field, std::string_view bytes, std::string* out) {
  if (!bytes.empty()) proto::AppendBytesField(field, bytes, out);
}
size_t NonEmptySize(uint32_t field, size_t size) {
  return size == 0 ? 0 : proto::BytesFieldSize(field, size);
}

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed stored batch: ", what));
}

}  // namespace

void AppendStoredBatch(const StoredBatchHeader& header,
                       std::string_view records, std::string* out) {
  // int64 is encoded as its two's complement uint64, as protobuf does.
  const auto timestamp = static_cast<uint64_t>(header.timestamp_ms);
  out->reserve(out->size() + NonZeroSize(kBaseOffsetField, header.base_offset) +
               NonZeroSize(kTimestampField, timestamp) +
               NonEmptySize(kPublisherField, header.publisher.size()) +
               NonZeroSize(kCountField, header.count) +
               NonEmptySize(kRecordsField, records.size()) +
               NonZeroSize(kProducerIdField, header.producer_id) +
               NonZeroSize(kProducerSequenceField, header.producer_sequence));
  AppendNonZero(kBaseOffsetField, header.base_offset, out);
  AppendNonZero(kTimestampField, timestamp, out);
  AppendNonEmpty(kPublisherField, header.publisher, out);
  AppendNonZero(kCountField, header.count, out);
  AppendNonEmpty(kRecordsField, records, out);
  AppendNonZero(kProducerIdField, header.producer_id, out);
  AppendNonZero(kProducerSequenceField, header.producer_sequence, out);
}

absl::StatusOr<StoredBatchView> ParseStoredBatch(std::string_view value) {
  StoredBatchView view;
  std::string_view in = value;
  proto::WireField field;
  while (!in.empty()) {
    if (!proto::ReadField(&in, &field)) return Malformed("bad field");
    const uint64_t number = field.varint;
    const std::string_view bytes = field.bytes;
    const bool is_varint = field.type == proto::kVarint;
    const bool is_bytes = field.type == proto::kLengthDelimited;
    switch (field.number) {
      case kBaseOffsetField:
        if (!is_varint) return Malformed("base_offset type");
        view.header.base_offset = number;
        break;
      case kTimestampField:
        if (!is_varint) return Malformed("timestamp_ms type");
        view.header.timestamp_ms = static_cast<int64_t>(number);
        break;
      case kPublisherField:
        if (!is_bytes) return Malformed("publisher type");
        view.header.publisher = bytes;
        break;
      case kCountField:
        if (!is_varint || number > std::numeric_limits<uint32_t>::max()) {
          return Malformed("count");
        }
        view.header.count = static_cast<uint32_t>(number);
        break;
      case kRecordsField:
        if (!is_bytes) return Malformed("records type");
        view.records = bytes;
        break;
      case kProducerIdField:
        if (!is_varint) return Malformed("producer_id type");
        view.header.producer_id = number;
        break;
      case kProducerSequenceField:
        if (!is_varint) return Malformed("producer_sequence type");
        view.header.producer_sequence = number;
        break;
      default:
        break;  // unknown field: skipped for forward compatibility
    }
  }
  if (view.header.count == 0) return Malformed("count of zero");
  return view;
}

std::string LogKey(uint64_t partition_id, uint64_t base_offset) {
  std::string key(16, '\0');
  EncodeBigEndian64(partition_id, key.data());
  EncodeBigEndian64(base_offset, key.data() + 8);
  return key;
}

}  // namespace chorus::storage
