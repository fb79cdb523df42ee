// The client's count of a delivery's bytes (DeliveryCreditBytes) against
// what the broker charges for it (DeliveryBatch::credit_bytes), with the
// broker's own code building and framing each delivery and the client's
// decoder reading it back, for every shape of Deliver.
#include <string>
#include <vector>

#include "broker/delivery.h"
#include "client/subscriptions.h"
#include "gtest/gtest.h"
#include "proto/frame_codec.h"
#include "proto/records.h"
#include "storage/stored_batch.h"

namespace chorus::client_internal {
namespace {

struct Shape {
  uint64_t base_offset = 0;
  int64_t timestamp_ms = 0;
  std::string publisher;
  std::vector<std::string> values;  // one record each
};

std::string Stored(const Shape& shape) {
  std::string records;
  for (size_t i = 0; i < shape.values.size(); ++i) {
    if (i % 2 == 0) {
      proto::AppendRecord("k" + std::to_string(i), shape.values[i],
                          {{"region", "eu"}}, &records);
    } else {
      proto::AppendRecord("", shape.values[i], {}, &records);
    }
  }
  std::string stored;
  storage::AppendStoredBatch(
      {.base_offset = shape.base_offset,
       .timestamp_ms = shape.timestamp_ms,
       .publisher = shape.publisher,
       .count = static_cast<uint32_t>(shape.values.size())},
      records, &stored);
  return stored;
}

// The Deliver a client decodes from the broker's prefix and shared body.
wire::Deliver AsReceived(uint64_t subscription_id,
                         const broker::DeliveryBatch& batch,
                         uint32_t delivery_count) {
  proto::FrameDecoder decoder(proto::kDefaultMaxFrameBytes);
  decoder.Append(
      broker::DeliveryPrefix(subscription_id, batch, delivery_count));
  decoder.Append(batch.body);
  wire::Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&frame);
  EXPECT_TRUE(got.ok() && *got) << got.status();
  EXPECT_TRUE(frame.has_deliver());
  return frame.deliver();
}

// Checks every subscription id and delivery count with the batch the broker
// makes of `stored` for [from, to) of `topic`/`partition`.
void ExpectSameCharge(const std::string& topic, uint32_t partition,
                      const std::string& stored, uint64_t from,
                      uint64_t to = UINT64_MAX) {
  absl::StatusOr<std::shared_ptr<const broker::DeliveryBatch>> batch =
      broker::DeliveryBatch::FromStored(topic, partition, stored, from, to);
  ASSERT_TRUE(batch.ok()) << batch.status();
  for (uint64_t id : {1ull, 200ull, 1ull << 40}) {
    for (uint32_t delivery_count : {0u, 1u, 300u}) {
      const wire::Deliver d = AsReceived(id, **batch, delivery_count);
      ASSERT_EQ(d.delivery_count(), delivery_count);
      EXPECT_EQ(DeliveryCreditBytes(d), (*batch)->credit_bytes())
          << topic << "/" << partition << " from " << from << " id " << id
          << " delivery " << delivery_count;
    }
  }
}

TEST(DeliveryCreditBytesTest, EqualsTheBrokersChargeForEveryShape) {
  const std::vector<std::string> topics = {"t", "acme.payments.status",
                                           std::string(255, 'x')};
  const std::vector<Shape> shapes = {
      {.base_offset = 0,
       .timestamp_ms = 1714564800123,
       .publisher = "svc-1",
       .values = {"up", std::string(300, 'x')}},
      {.base_offset = 5,
       .timestamp_ms = 1,
       .publisher = std::string(200, 'p'),
       .values = {"a", "b", "c", "d"}},
      {.base_offset = 1ull << 33,
       .timestamp_ms = 1714564800123,
       .publisher = "svc-2",
       .values = {std::string(70000, 'v')}},
  };
  for (const std::string& topic : topics) {
    for (uint32_t partition : {0u, 1u, 300u}) {
      for (const Shape& shape : shapes) {
        ExpectSameCharge(topic, partition, Stored(shape), shape.base_offset);
      }
    }
  }
}

TEST(DeliveryCreditBytesTest, EqualsTheBrokersChargeForSlicedBatches) {
  const Shape shape = {.base_offset = 10,
                       .timestamp_ms = 1714564800123,
                       .publisher = "svc",
                       .values = {"v0", "v1", std::string(200, 'v'), "v3"}};
  const std::string stored = Stored(shape);
  ExpectSameCharge("acme.x", 2, stored, 12);      // cursor inside the batch
  ExpectSameCharge("acme.x", 2, stored, 11, 13);  // a member's inner run
  ExpectSameCharge("acme.x", 0, stored, 10, 11);  // one record
}

TEST(DeliveryCreditBytesTest, EqualsTheBrokersChargeWithEmptyOptionalFields) {
  // Offset 0, no timestamp, no publisher, one empty record: protobuf leaves
  // these fields out, and the broker's stored bytes do too.
  ExpectSameCharge("t", 0, Stored({.values = {""}}), 0);
}

}  // namespace
}  // namespace chorus::client_internal
