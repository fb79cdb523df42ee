#include "client/publish_ack.h"

#include <vector>

#include "gtest/gtest.h"

namespace chorus::client_internal {
namespace {

wire::PublishAck Ack(std::vector<std::vector<uint64_t>> ranges,
                     std::vector<uint32_t> record_partitions = {}) {
  wire::PublishAck ack;
  for (const auto& r : ranges) {
    wire::PartitionRange* range = ack.add_ranges();
    range->set_partition(static_cast<uint32_t>(r[0]));
    range->set_first_offset(r[1]);
    range->set_count(static_cast<uint32_t>(r[2]));
  }
  for (uint32_t p : record_partitions) ack.add_record_partitions(p);
  return ack;
}

std::vector<std::pair<uint32_t, uint64_t>> Flatten(
    const std::vector<PublishResult>& results) {
  std::vector<std::pair<uint32_t, uint64_t>> out;
  for (const PublishResult& r : results)
    out.emplace_back(r.partition, r.offset);
  return out;
}

TEST(PublishResultsFromAckTest, OnePartitionGivesConsecutiveOffsets) {
  auto results = PublishResultsFromAck(Ack({{3, 100, 3}}), 3);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(Flatten(*results), (std::vector<std::pair<uint32_t, uint64_t>>{
                                   {3, 100}, {3, 101}, {3, 102}}));
}

TEST(PublishResultsFromAckTest, RecordsFollowTheirPartitionInPublishOrder) {
  // Records 0..4 went to partitions 1, 0, 1, 1, 0.
  auto results =
      PublishResultsFromAck(Ack({{0, 50, 2}, {1, 7, 3}}, {1, 0, 1, 1, 0}), 5);
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(Flatten(*results), (std::vector<std::pair<uint32_t, uint64_t>>{
                                   {1, 7}, {0, 50}, {1, 8}, {1, 9}, {0, 51}}));
}

TEST(PublishResultsFromAckTest, EmptyBatchNeedsNoRanges) {
  auto results = PublishResultsFromAck(wire::PublishAck(), 0);
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE(results->empty());
}

TEST(PublishResultsFromAckTest, CountMismatchIsInternalError) {
  auto results = PublishResultsFromAck(Ack({{0, 0, 2}}), 3);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInternal);
}

TEST(PublishResultsFromAckTest, SeveralRangesWithoutRecordPartitionsIsError) {
  auto results = PublishResultsFromAck(Ack({{0, 0, 1}, {1, 0, 1}}), 2);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInternal);
}

TEST(PublishResultsFromAckTest, RecordPartitionsOfWrongLengthIsError) {
  auto results = PublishResultsFromAck(Ack({{0, 0, 2}}, {0}), 2);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInternal);
}

TEST(PublishResultsFromAckTest, RecordBeyondItsPartitionRangeIsError) {
  // Partition 1's range holds one record, but two records claim it.
  auto results = PublishResultsFromAck(Ack({{0, 0, 1}, {1, 0, 1}}, {1, 1}), 2);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInternal);
}

TEST(PublishResultsFromAckTest, RecordInPartitionWithoutRangeIsError) {
  auto results = PublishResultsFromAck(Ack({{0, 0, 2}}, {0, 5}), 2);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInternal);
}

TEST(PublishResultsFromAckTest, DuplicateRangeForOnePartitionIsError) {
  auto results = PublishResultsFromAck(Ack({{0, 0, 1}, {0, 5, 1}}, {0, 0}), 2);
  EXPECT_EQ(results.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace chorus::client_internal
