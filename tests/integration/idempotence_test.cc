// Idempotent publishes at the protocol level, against a real broker: a
// batch sent again is stored once and answered with its first offsets —
// also after a crash and restart, and while the first copy is still being
// committed — a sequence gap is refused, and an idempotent publish must name
// its partition.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "proto/records.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kProducer = 0x5eed5eed5eed5eed;

std::string Records(const std::string& prefix, int count) {
  std::string records;
  for (int i = 0; i < count; ++i) {
    proto::AppendRecord("", prefix + std::to_string(i), {}, &records);
  }
  return records;
}

wire::Frame IdempotentPublish(uint64_t id, const std::string& topic,
                              const std::string& records, uint64_t producer,
                              uint64_t sequence, bool with_partition = true) {
  wire::Frame frame;
  frame.set_correlation_id(id);
  wire::Publish* publish = frame.mutable_publish();
  publish->set_topic(topic);
  if (with_partition) publish->set_partition(0);
  publish->set_records(records);
  publish->set_producer_id(producer);
  publish->set_sequence(sequence);
  return frame;
}

class IdempotenceTest : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    Connect();
  }

  void Connect() {
    raw_ = std::make_unique<RawConnection>(broker_->address());
    ASSERT_TRUE(raw_->ok());
    ASSERT_TRUE(raw_->Handshake().ok());
  }

  // Publishes and returns the reply.
  wire::Frame Publish(const wire::Frame& frame) {
    EXPECT_TRUE(raw_->SendFrame(frame).ok());
    absl::StatusOr<wire::Frame> reply =
        raw_->ReadReply(frame.correlation_id(), absl::Seconds(20));
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : wire::Frame();
  }

  // The values stored in `topic`, in offset order.
  std::vector<std::string> Stored(const std::string& topic, size_t expected) {
    std::vector<std::string> values;
    for (const Received& r : ReadFromStart(*client_, topic, expected)) {
      values.push_back(r.value);
    }
    return values;
  }

  std::unique_ptr<RawConnection> raw_;
};

void ExpectRange(const wire::Frame& reply, uint64_t first, uint32_t count) {
  ASSERT_TRUE(reply.has_publish_ack()) << reply.ShortDebugString();
  ASSERT_EQ(reply.publish_ack().ranges_size(), 1);
  EXPECT_EQ(reply.publish_ack().ranges(0).first_offset(), first);
  EXPECT_EQ(reply.publish_ack().ranges(0).count(), count);
}

TEST_F(IdempotenceTest, ARetriedBatchIsStoredOnceAndAckedWithItsOffsets) {
  ExpectRange(
      Publish(IdempotentPublish(2, "t.once", Records("a", 3), kProducer, 0)), 0,
      3);
  // Another producer's batch in between.
  ExpectRange(Publish(IdempotentPublish(3, "t.once", Records("b", 2),
                                        kProducer + 1, 0)),
              3, 2);
  ExpectRange(
      Publish(IdempotentPublish(4, "t.once", Records("a", 3), kProducer, 0)), 0,
      3);
  ExpectRange(
      Publish(IdempotentPublish(5, "t.once", Records("c", 1), kProducer, 3)), 5,
      1);
  EXPECT_EQ(Stored("t.once", 6),
            (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1", "c0"}));
}

TEST_F(IdempotenceTest, ARetryPipelinedBehindItsFirstCopyIsNotStoredTwice) {
  // Both copies reach the partition in one turn: the second must see the
  // first staged, not yet committed.
  ASSERT_TRUE(raw_->SendFrame(IdempotentPublish(2, "t.pipe", Records("p", 4),
                                                kProducer, 0))
                  .ok());
  ASSERT_TRUE(raw_->SendFrame(IdempotentPublish(3, "t.pipe", Records("p", 4),
                                                kProducer, 0))
                  .ok());
  absl::StatusOr<wire::Frame> first = raw_->ReadReply(2, absl::Seconds(20));
  absl::StatusOr<wire::Frame> second = raw_->ReadReply(3, absl::Seconds(20));
  ASSERT_TRUE(first.ok() && second.ok());
  ExpectRange(*first, 0, 4);
  ExpectRange(*second, 0, 4);
  EXPECT_EQ(Stored("t.pipe", 4).size(), 4u);
}

TEST_F(IdempotenceTest, ASequenceGapIsRefusedWithTheExpectedSequence) {
  ExpectRange(
      Publish(IdempotentPublish(2, "t.gap", Records("a", 2), kProducer, 0)), 0,
      2);
  wire::Frame refused =
      Publish(IdempotentPublish(3, "t.gap", Records("x", 1), kProducer, 7));
  ASSERT_TRUE(refused.has_error()) << refused.ShortDebugString();
  EXPECT_EQ(refused.error().code(), wire::OUT_OF_RANGE);
  EXPECT_THAT(refused.error().message(), HasSubstr("is at sequence 2"));
  // A producer the partition never saw starts at 0.
  wire::Frame unknown =
      Publish(IdempotentPublish(4, "t.gap", Records("y", 1), kProducer + 9, 4));
  EXPECT_EQ(unknown.error().code(), wire::OUT_OF_RANGE);
  EXPECT_EQ(Stored("t.gap", 2), (std::vector<std::string>{"a0", "a1"}));
}

TEST_F(IdempotenceTest, AnIdempotentPublishMustNameItsPartition) {
  wire::Frame refused = Publish(IdempotentPublish(
      2, "t.where", Records("a", 1), kProducer, 0, /*with_partition=*/false));
  ASSERT_TRUE(refused.has_error());
  EXPECT_EQ(refused.error().code(), wire::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error().message(), HasSubstr("partition"));
}

TEST_F(IdempotenceTest, TheProducerTableSurvivesACrash) {
  ExpectRange(
      Publish(IdempotentPublish(2, "t.crash", Records("a", 3), kProducer, 0)),
      0, 3);
  ExpectRange(
      Publish(IdempotentPublish(3, "t.crash", Records("b", 2), kProducer, 3)),
      3, 2);
  client_.reset();
  raw_.reset();
  broker_->Kill();
  ASSERT_TRUE(broker_->Restart().ok()) << broker_->Log();
  client_ = ConnectOrDie(*broker_);
  Connect();
  // Both batches, sent again after the crash, are known with their offsets.
  ExpectRange(
      Publish(IdempotentPublish(2, "t.crash", Records("b", 2), kProducer, 3)),
      3, 2);
  ExpectRange(
      Publish(IdempotentPublish(3, "t.crash", Records("a", 3), kProducer, 0)),
      0, 3);
  ExpectRange(
      Publish(IdempotentPublish(4, "t.crash", Records("c", 1), kProducer, 5)),
      5, 1);
  EXPECT_EQ(Stored("t.crash", 6),
            (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1", "c0"}));
}

TEST_F(IdempotenceTest, DeliveriesCarryTheProducerAndSequence) {
  RawConnection subscriber(broker_->address());
  ASSERT_TRUE(subscriber.Handshake().ok());
  const wire::Frame subscribe =
      SubscribeFrame(2, "t.carry", wire::StartPosition::EARLIEST);
  ExpectRange(
      Publish(IdempotentPublish(2, "t.carry", Records("a", 2), kProducer, 0)),
      0, 2);
  ExpectRange(
      Publish(IdempotentPublish(3, "t.carry", Records("b", 1), kProducer, 2)),
      2, 1);
  ASSERT_TRUE(subscriber.SendFrame(subscribe).ok());
  std::vector<wire::Frame> pushes;
  ASSERT_TRUE(subscriber.ReadReply(2, absl::Seconds(20), &pushes).ok());
  while (pushes.size() < 2) {
    absl::StatusOr<wire::Frame> push = subscriber.ReadFrame(absl::Seconds(20));
    ASSERT_TRUE(push.ok()) << push.status();
    pushes.push_back(*push);
  }
  ASSERT_TRUE(pushes[1].has_deliver());
  EXPECT_EQ(pushes[1].deliver().base_offset(), 2u);
  EXPECT_EQ(pushes[1].deliver().producer_id(), kProducer);
  EXPECT_EQ(pushes[1].deliver().producer_sequence(), 2u);
}

}  // namespace
}  // namespace chorus::testing
