#include <string>

#include "client/subscriptions.h"
#include "gtest/gtest.h"
#include "proto/records.h"
#include "proto/wire_format.h"

namespace chorus::client_internal {
namespace {

// The Deliver body as the broker encodes it after the subscription id:
// topic and partition always, the stored batch's fields when non-zero.
std::string BrokerBody(const wire::Deliver& d) {
  std::string body;
  proto::AppendBytesField(2, d.topic(), &body);
  proto::AppendVarintField(3, d.partition(), &body);
  if (d.base_offset() != 0) proto::AppendVarintField(4, d.base_offset(), &body);
  if (d.timestamp_ms() != 0) {
    proto::AppendVarintField(5, static_cast<uint64_t>(d.timestamp_ms()), &body);
  }
  if (!d.publisher().empty()) proto::AppendBytesField(6, d.publisher(), &body);
  if (d.count() != 0) proto::AppendVarintField(7, d.count(), &body);
  if (!d.records().empty()) proto::AppendBytesField(8, d.records(), &body);
  return body;
}

wire::Deliver MakeDeliver(uint64_t id, uint32_t partition, uint64_t base) {
  wire::Deliver d;
  d.set_subscription_id(id);
  d.set_topic("acme.payments.status");
  d.set_partition(partition);
  d.set_base_offset(base);
  d.set_timestamp_ms(1714564800123);
  d.set_publisher("svc-1");
  d.set_count(2);
  std::string records;
  proto::AppendRecord("k", "up", {{"region", "eu"}}, &records);
  proto::AppendRecord("", std::string(300, 'x'), {}, &records);
  d.set_records(records);
  return d;
}

TEST(DeliveryCreditBytesTest, EqualsTheBrokersChargeForEveryShape) {
  for (uint64_t id : {1ull, 200ull, 1ull << 40}) {
    for (uint32_t partition : {0u, 1u, 300u}) {
      for (uint64_t base : {0ull, 5ull, 1ull << 33}) {
        const wire::Deliver d = MakeDeliver(id, partition, base);
        EXPECT_EQ(DeliveryCreditBytes(d), BrokerBody(d).size())
            << id << " " << partition << " " << base;
      }
    }
  }
}

TEST(DeliveryCreditBytesTest, DeliveryCountIsNotCharged) {
  wire::Deliver d = MakeDeliver(7, 1, 42);
  const std::string body = BrokerBody(d);
  d.set_delivery_count(300);
  EXPECT_EQ(DeliveryCreditBytes(d), body.size());
}

TEST(DeliveryCreditBytesTest, EmptyOptionalFields) {
  wire::Deliver d;
  d.set_subscription_id(3);
  d.set_topic("t");
  EXPECT_EQ(DeliveryCreditBytes(d), BrokerBody(d).size());
}

}  // namespace
}  // namespace chorus::client_internal
