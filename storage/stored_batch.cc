#include "storage/stored_batch.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proto/records.h"
#include "storage/key_coding.h"

namespace chorus::storage {
namespace {

// wire::StoredBatch field numbers (proto/storage.proto), equal to Deliver's.
constexpr uint32_t kBaseOffsetField = 4;
constexpr uint32_t kTimestampField = 5;
constexpr uint32_t kPublisherField = 6;
constexpr uint32_t kCountField = 7;
constexpr uint32_t kRecordsField = 8;

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

constexpr uint64_t Tag(uint32_t field, uint32_t wire_type) {
  return (uint64_t{field} << 3) | wire_type;
}

void AppendVarintField(uint32_t field, uint64_t value, std::string* out) {
  if (value == 0) return;  // proto3: zero is the default and is omitted
  proto::AppendVarint(Tag(field, kVarint), out);
  proto::AppendVarint(value, out);
}

void AppendBytesField(uint32_t field, std::string_view bytes,
                      std::string* out) {
  if (bytes.empty()) return;
  proto::AppendVarint(Tag(field, kLengthDelimited), out);
  proto::AppendVarint(bytes.size(), out);
  out->append(bytes);
}

size_t VarintFieldSize(uint32_t field, uint64_t value) {
  if (value == 0) return 0;
  return proto::VarintSize(Tag(field, kVarint)) + proto::VarintSize(value);
}

size_t BytesFieldSize(uint32_t field, size_t size) {
  if (size == 0) return 0;
  return proto::VarintSize(Tag(field, kLengthDelimited)) +
         proto::VarintSize(size) + size;
}

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed stored batch: ", what));
}

}  // namespace

void AppendStoredBatch(const StoredBatchHeader& header,
                       std::string_view records, std::string* out) {
  // int64 is encoded as its two's complement uint64, as protobuf does.
  const auto timestamp = static_cast<uint64_t>(header.timestamp_ms);
  out->reserve(out->size() +
               VarintFieldSize(kBaseOffsetField, header.base_offset) +
               VarintFieldSize(kTimestampField, timestamp) +
               BytesFieldSize(kPublisherField, header.publisher.size()) +
               VarintFieldSize(kCountField, header.count) +
               BytesFieldSize(kRecordsField, records.size()));
  AppendVarintField(kBaseOffsetField, header.base_offset, out);
  AppendVarintField(kTimestampField, timestamp, out);
  AppendBytesField(kPublisherField, header.publisher, out);
  AppendVarintField(kCountField, header.count, out);
  AppendBytesField(kRecordsField, records, out);
}

absl::StatusOr<StoredBatchView> ParseStoredBatch(std::string_view value) {
  StoredBatchView view;
  std::string_view in = value;
  while (!in.empty()) {
    uint64_t tag;
    if (!proto::ReadVarint(&in, &tag)) return Malformed("bad field tag");
    const uint64_t field = tag >> 3;
    const auto wire_type = static_cast<uint32_t>(tag & 7);
    if (field == 0) return Malformed("field number 0");
    uint64_t number = 0;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint:
        if (!proto::ReadVarint(&in, &number)) return Malformed("bad varint");
        break;
      case kFixed64:
      case kFixed32: {
        const size_t size = wire_type == kFixed64 ? 8 : 4;
        if (in.size() < size) return Malformed("truncated fixed field");
        in.remove_prefix(size);
        break;
      }
      case kLengthDelimited:
        if (!proto::ReadVarint(&in, &number) || number > in.size()) {
          return Malformed("bad length");
        }
        bytes = in.substr(0, number);
        in.remove_prefix(number);
        break;
      default:
        return Malformed(absl::StrCat("wire type ", wire_type));
    }
    const bool is_varint = wire_type == kVarint;
    const bool is_bytes = wire_type == kLengthDelimited;
    switch (field) {
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
