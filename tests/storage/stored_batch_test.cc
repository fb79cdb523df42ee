#include "storage/stored_batch.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "proto/records.h"
#include "proto/storage.pb.h"
#include "proto/wire_format.h"
#include "tests/storage/storage_test_util.h"

namespace chorus::storage {
namespace {

std::string SomeRecords() {
  std::string records;
  proto::AppendRecord("k1", "v1", {{"region", "eu"}}, &records);
  proto::AppendRecord("k2", std::string(300, 'x'), {}, &records);
  return records;
}

TEST(StoredBatchTest, RoundTripsWithViewsIntoTheValue) {
  const std::string records = SomeRecords();
  const StoredBatchHeader header = {.base_offset = 1234567890123,
                                    .timestamp_ms = 1700000000123,
                                    .publisher = "svc-a",
                                    .count = 2,
                                    .producer_id = 0xfedcba9876543210,
                                    .producer_sequence = 77};
  std::string value = "prefix kept";
  AppendStoredBatch(header, records, &value);
  const std::string_view encoded =
      std::string_view(value).substr(std::string_view("prefix kept").size());

  ASSERT_OK_AND_ASSIGN(const StoredBatchView view, ParseStoredBatch(encoded));
  EXPECT_EQ(view.header.base_offset, header.base_offset);
  EXPECT_EQ(view.header.timestamp_ms, header.timestamp_ms);
  EXPECT_EQ(view.header.publisher, "svc-a");
  EXPECT_EQ(view.header.count, 2u);
  EXPECT_EQ(view.header.producer_id, header.producer_id);
  EXPECT_EQ(view.header.producer_sequence, 77u);
  EXPECT_EQ(view.records, records);
  EXPECT_GE(view.records.data(), encoded.data());
  EXPECT_LE(view.records.data() + view.records.size(),
            encoded.data() + encoded.size());
}

TEST(StoredBatchTest, EncodingEqualsProtobufs) {
  const std::string records = SomeRecords();
  for (const StoredBatchHeader& header : {
           StoredBatchHeader{.base_offset = 7,
          .timestamp_ms = 1700000000000,
          .publisher = "p",
          .count = 2},
           StoredBatchHeader{.base_offset = 0,
           .timestamp_ms = -5,
           .publisher = "",
           .count = 1},
           StoredBatchHeader{.base_offset = 3,
           .timestamp_ms = 1,
           .publisher = "idempotent",
           .count = 2,
           .producer_id = ~uint64_t{0},
           .producer_sequence = 1u << 20},
       }) {
    std::string value;
    AppendStoredBatch(header, records, &value);

    wire::StoredBatch message;
    ASSERT_TRUE(message.ParseFromString(value));
    EXPECT_EQ(message.base_offset(), header.base_offset);
    EXPECT_EQ(message.timestamp_ms(), header.timestamp_ms);
    EXPECT_EQ(message.publisher(), header.publisher);
    EXPECT_EQ(message.count(), header.count);
    EXPECT_EQ(message.records(), records);
    EXPECT_EQ(message.producer_id(), header.producer_id);
    EXPECT_EQ(message.producer_sequence(), header.producer_sequence);
    EXPECT_EQ(value, message.SerializeAsString());
    // Sent verbatim as the tail of a Deliver, the same bytes are its fields.
    wire::Deliver deliver;
    ASSERT_TRUE(deliver.ParseFromString(value));
    EXPECT_EQ(deliver.base_offset(), header.base_offset);
    EXPECT_EQ(deliver.producer_id(), header.producer_id);
    EXPECT_EQ(deliver.producer_sequence(), header.producer_sequence);

    ASSERT_OK_AND_ASSIGN(const StoredBatchView view, ParseStoredBatch(value));
    EXPECT_EQ(view.header.timestamp_ms, header.timestamp_ms);
    EXPECT_EQ(view.header.base_offset, header.base_offset);
  }
}

TEST(StoredBatchTest, ParseSkipsUnknownFields) {
  wire::StoredBatch message;
  message.set_base_offset(9);
  message.set_count(3);
  message.set_records("r");
  std::string value = message.SerializeAsString();
  // Deliver's fields 1..3, a fixed64, a fixed32: all unknown here.
  proto::AppendVarint((1 << 3) | 0, &value);
  proto::AppendVarint(42, &value);
  proto::AppendVarint((2 << 3) | 2, &value);
  proto::AppendVarint(5, &value);
  value += "topic";
  proto::AppendVarint((30 << 3) | 1, &value);
  value += std::string(8, '\x01');
  proto::AppendVarint((31 << 3) | 5, &value);
  value += std::string(4, '\x02');

  ASSERT_OK_AND_ASSIGN(const StoredBatchView view, ParseStoredBatch(value));
  EXPECT_EQ(view.header.base_offset, 9u);
  EXPECT_EQ(view.header.count, 3u);
  EXPECT_EQ(view.records, "r");
}

TEST(StoredBatchTest, TruncationInsideAFieldIsDataLoss) {
  std::string value;
  AppendStoredBatch({.base_offset = 300,
                     .timestamp_ms = 1700000000000,
                     .publisher = "publisher",
                     .count = 2},
                    SomeRecords(), &value);
  // Every prefix either ends between fields (and then still needs a count)
  // or is rejected as malformed; none is misread.
  size_t rejected = 0;
  for (size_t size = 0; size < value.size(); ++size) {
    const absl::StatusOr<StoredBatchView> view =
        ParseStoredBatch(std::string_view(value).substr(0, size));
    if (view.ok()) {
      EXPECT_EQ(view->header.count, 2u);
    } else {
      EXPECT_EQ(view.status().code(), absl::StatusCode::kDataLoss) << size;
      ++rejected;
    }
  }
  EXPECT_GT(rejected, value.size() / 2);
}

TEST(StoredBatchTest, MalformedInputIsDataLoss) {
  auto parse_code = [](std::string_view value) {
    return ParseStoredBatch(value).status().code();
  };
  std::string count_of_zero;
  AppendStoredBatch(
      {.base_offset = 1, .timestamp_ms = 5, .publisher = "p", .count = 0}, "r",
      &count_of_zero);
  std::string count_too_large;
  proto::AppendVarint((7 << 3) | 0, &count_too_large);
  proto::AppendVarint(uint64_t{1} << 32, &count_too_large);
  std::string count_as_bytes;
  proto::AppendVarint((7 << 3) | 2, &count_as_bytes);
  proto::AppendVarint(1, &count_as_bytes);
  count_as_bytes += "x";
  std::string records_too_long;
  proto::AppendVarint((7 << 3) | 0, &records_too_long);
  proto::AppendVarint(1, &records_too_long);
  proto::AppendVarint((8 << 3) | 2, &records_too_long);
  proto::AppendVarint(100, &records_too_long);
  records_too_long += "short";

  EXPECT_EQ(parse_code(""), absl::StatusCode::kDataLoss);
  EXPECT_EQ(parse_code(count_of_zero), absl::StatusCode::kDataLoss);
  EXPECT_EQ(parse_code(count_too_large), absl::StatusCode::kDataLoss);
  EXPECT_EQ(parse_code(count_as_bytes), absl::StatusCode::kDataLoss);
  EXPECT_EQ(parse_code(records_too_long), absl::StatusCode::kDataLoss);
  EXPECT_EQ(parse_code("\x38\x01\x0b"), absl::StatusCode::kDataLoss);  // group
  EXPECT_EQ(parse_code(std::string("\x38\x01\x00", 3)),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(parse_code(std::string(11, '\xff')), absl::StatusCode::kDataLoss);
}

TEST(LogKeyTest, IsSixteenBigEndianBytes) {
  EXPECT_EQ(LogKey(0x0102030405060708, 0x1112131415161718),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08"
                        "\x11\x12\x13\x14\x15\x16\x17\x18",
                        16));
}

TEST(LogKeyTest, SortsByPartitionThenOffset) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const std::string ordered[] = {
      LogKey(0, 0),        LogKey(0, 1),    LogKey(0, 255),
      LogKey(0, 256),      LogKey(0, kMax), LogKey(1, 0),
      LogKey(1, 1u << 31), LogKey(256, 0),  LogKey(kMax, kMax),
  };
  for (size_t i = 1; i < std::size(ordered); ++i) {
    EXPECT_LT(ordered[i - 1], ordered[i]) << i;
  }
}

}  // namespace
}  // namespace chorus::storage
