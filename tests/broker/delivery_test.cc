#include "broker/delivery.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/frame_codec.h"
#include "proto/records.h"
#include "storage/stored_batch.h"

namespace chorus::broker {
namespace {

std::string StoredBatchOf(uint64_t base, int count) {
  std::string records;
  for (int i = 0; i < count; ++i) {
    proto::AppendRecord("k" + std::to_string(i), "v" + std::to_string(i),
                        {{"h", "x"}}, &records);
  }
  std::string stored;
  storage::AppendStoredBatch({.base_offset = base,
                              .timestamp_ms = 1234,
                              .publisher = "svc",
                              .count = static_cast<uint32_t>(count)},
                             records, &stored);
  return stored;
}

// Decodes prefix + body the way a client does.
wire::Frame Decode(uint64_t subscription_id, const DeliveryBatch& batch,
                   uint32_t delivery_count = 0) {
  proto::FrameDecoder decoder(proto::kDefaultMaxFrameBytes);
  decoder.Append(DeliveryPrefix(subscription_id, batch, delivery_count));
  decoder.Append(batch.body);
  wire::Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&frame);
  EXPECT_TRUE(got.ok() && *got);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return frame;
}

TEST(DeliveryTest, StoredBytesBecomeAValidDeliverFrame) {
  auto batch =
      DeliveryBatch::FromStored("acme.status", 3, StoredBatchOf(10, 4), 10);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)->base_offset, 10u);
  EXPECT_EQ((*batch)->count, 4u);
  wire::Frame frame = Decode(77, **batch);
  ASSERT_TRUE(frame.has_deliver());
  const wire::Deliver& deliver = frame.deliver();
  EXPECT_EQ(deliver.subscription_id(), 77u);
  EXPECT_EQ(deliver.topic(), "acme.status");
  EXPECT_EQ(deliver.partition(), 3u);
  EXPECT_EQ(deliver.base_offset(), 10u);
  EXPECT_EQ(deliver.timestamp_ms(), 1234);
  EXPECT_EQ(deliver.publisher(), "svc");
  EXPECT_EQ(deliver.count(), 4u);
  wire::RecordSet records;
  ASSERT_TRUE(records.ParseFromString(deliver.records()));
  ASSERT_EQ(records.records_size(), 4);
  EXPECT_EQ(records.records(2).value(), "v2");
}

TEST(DeliveryTest, SlicesABatchThatStartsBeforeTheCursor) {
  auto batch = DeliveryBatch::FromStored("t", 0, StoredBatchOf(10, 5), 12);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)->base_offset, 12u);
  EXPECT_EQ((*batch)->count, 3u);
  wire::Frame frame = Decode(1, **batch);
  wire::RecordSet records;
  ASSERT_TRUE(records.ParseFromString(frame.deliver().records()));
  ASSERT_EQ(records.records_size(), 3);
  EXPECT_EQ(records.records(0).key(), "k2");
  EXPECT_EQ(frame.deliver().base_offset(), 12u);
}

TEST(DeliveryTest, SlicesAnInnerRangeAndKeepsThePublisher) {
  auto batch = DeliveryBatch::FromStored("t", 0, StoredBatchOf(10, 5), 11, 13);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)->base_offset, 11u);
  EXPECT_EQ((*batch)->count, 2u);
  EXPECT_EQ((*batch)->publisher, "svc");
  wire::Frame frame = Decode(1, **batch);
  wire::RecordSet records;
  ASSERT_TRUE(records.ParseFromString(frame.deliver().records()));
  ASSERT_EQ(records.records_size(), 2);
  EXPECT_EQ(records.records(0).key(), "k1");
  EXPECT_EQ(records.records(1).key(), "k2");
}

TEST(DeliveryTest, RangeAfterTheBatchIsOutOfRange) {
  auto batch = DeliveryBatch::FromStored("t", 0, StoredBatchOf(10, 5), 0, 10);
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(DeliveryTest, DeliveryCountTravelsInThePrefixOnly) {
  auto batch = DeliveryBatch::FromStored("t", 2, StoredBatchOf(0, 2), 0);
  ASSERT_TRUE(batch.ok());
  wire::Frame frame = Decode(9, **batch, /*delivery_count=*/3);
  EXPECT_EQ(frame.deliver().delivery_count(), 3u);
  EXPECT_EQ(frame.deliver().subscription_id(), 9u);
  EXPECT_EQ(frame.deliver().count(), 2u);
  EXPECT_EQ(Decode(9, **batch).deliver().delivery_count(), 0u);
}

TEST(DeliveryTest, BatchEntirelyBeforeTheCursorIsOutOfRange) {
  auto batch = DeliveryBatch::FromStored("t", 0, StoredBatchOf(10, 5), 15);
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(DeliveryTest, CorruptStoredValueIsDataLoss) {
  auto batch = DeliveryBatch::FromStored("t", 0, "\xff\xff\xff", 0);
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kDataLoss);
}

TEST(DeliveryTest, LargeSubscriptionIdsStillFrameCorrectly) {
  auto batch = DeliveryBatch::FromStored("t", 0, StoredBatchOf(0, 1), 0);
  ASSERT_TRUE(batch.ok());
  wire::Frame frame = Decode(~uint64_t{0}, **batch);
  EXPECT_EQ(frame.deliver().subscription_id(), ~uint64_t{0});
}

}  // namespace
}  // namespace chorus::broker
