#include "client/ack_buffer.h"

#include "gtest/gtest.h"

namespace chorus::client_internal {
namespace {

TEST(AckBufferTest, GathersAcksPerPartitionUntilTaken) {
  AckBuffer acks;
  wire::Ack empty;
  EXPECT_FALSE(acks.TakeInto(&empty));
  acks.Add("a", 0, 4);
  acks.Add("a", 0, 2);
  acks.AddThrough("a", 1, 10);
  acks.AddThrough("a", 1, 7);  // an older cumulative ack changes nothing
  wire::Ack ack;
  ASSERT_TRUE(acks.TakeInto(&ack));
  ASSERT_EQ(ack.ranges_size(), 2);
  for (const wire::AckRange& range : ack.ranges()) {
    EXPECT_EQ(range.topic(), "a");
    if (range.partition() == 0) {
      EXPECT_EQ(
          std::vector<uint64_t>(range.offsets().begin(), range.offsets().end()),
          (std::vector<uint64_t>{4, 2}));
      EXPECT_EQ(range.up_to(), 0u);
    } else {
      EXPECT_TRUE(range.offsets().empty());
      EXPECT_EQ(range.up_to(), 10u);
    }
  }
  wire::Ack again;
  EXPECT_FALSE(acks.TakeInto(&again));
}

}  // namespace
}  // namespace chorus::client_internal
