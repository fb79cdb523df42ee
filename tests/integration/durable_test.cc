// Durable subscriptions, ack modes, redelivery and dead letters, through the
// client library against a real chorusd.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

std::vector<uint64_t> Offsets(const std::vector<Received>& messages) {
  std::vector<uint64_t> offsets;
  for (const Received& m : messages) offsets.push_back(m.offset);
  return offsets;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> offsets;
  for (uint64_t o = from; o < to; ++o) offsets.push_back(o);
  return offsets;
}

SubscribeOptions Durable(const std::string& name,
                         AckMode ack = AckMode::kExplicit) {
  SubscribeOptions options;
  options.name = name;
  options.ack = ack;
  options.start = StartPosition::Earliest();
  return options;
}

class DurableTest : public BrokerTest {
 protected:
  // Subscribes, waits for `count` messages and returns them with the
  // subscription.
  std::unique_ptr<Subscription> Take(const std::string& filter,
                                     SubscribeOptions options, size_t count,
                                     std::vector<Received>* out) {
    auto collector = std::make_shared<Collector>();
    collectors_.push_back(collector);
    auto sub = client_->Subscribe(filter, options, collector->Handler());
    EXPECT_TRUE(sub.ok()) << sub.status();
    EXPECT_TRUE(collector->WaitFor(count)) << collector->size();
    *out = collector->Take();
    return sub.ok() ? *std::move(sub) : nullptr;
  }

  // Publishes one more message to the single-partition `topic` and waits
  // until the latest subscription's collector has it: partition order puts
  // it after everything that subscription was due to get first. Returns the
  // offsets of `before` and of all that came since, the sentinel's last.
  std::vector<uint64_t> OffsetsThroughSentinel(
      const std::string& topic, const std::vector<Received>& before) {
    PublishAll(*client_, topic, 1, "sentinel");
    Collector& collector = *collectors_.back();
    EXPECT_TRUE(collector.WaitUntil([](const std::vector<Received>& got) {
      return !got.empty() && got.back().value == "sentinel0";
    }));
    std::vector<uint64_t> offsets = Offsets(before);
    for (uint64_t offset : Offsets(collector.Take())) offsets.push_back(offset);
    return offsets;
  }

  std::vector<std::shared_ptr<Collector>> collectors_;
};

TEST_F(DurableTest, ResumesAfterTheLastAckedMessage) {
  PublishAll(*client_, "d.resume", 10);
  std::vector<Received> got;
  auto sub = Take("d.resume", Durable("resume"), 10, &got);
  EXPECT_EQ(Offsets(got), Range(0, 10));
  ASSERT_TRUE(sub->AckThrough(got[5].View()).ok());
  ASSERT_TRUE(sub->FlushAcks().ok());
  ASSERT_TRUE(sub->Unsubscribe().ok());

  PublishAll(*client_, "d.resume", 5, "n");
  std::vector<Received> again;
  auto resumed = Take("d.resume", Durable("resume"), 9, &again);
  EXPECT_EQ(Offsets(again), Range(6, 15));
  EXPECT_EQ(again.front().value, "m6");
  EXPECT_EQ(again.back().value, "n4");
  // The unacked ones come again, counted as such.
  EXPECT_EQ(again.front().delivery_count, 2u);
  EXPECT_EQ(again.back().delivery_count, 1u);
}

TEST_F(DurableTest, AcksJustBeforeUnsubscribeAreNotLost) {
  PublishAll(*client_, "d.quick", 4);
  std::vector<Received> got;
  auto sub = Take("d.quick", Durable("quick"), 4, &got);
  ASSERT_TRUE(sub->AckThrough(got[2].View()).ok());
  ASSERT_TRUE(sub->Unsubscribe().ok());  // no FlushAcks
  std::vector<Received> again;
  auto resumed = Take("d.quick", Durable("quick"), 1, &again);
  EXPECT_EQ(OffsetsThroughSentinel("d.quick", again),
            (std::vector<uint64_t>{3, 4}));
}

TEST_F(DurableTest, OutOfOrderAcksSurviveABrokerRestart) {
  PublishAll(*client_, "d.holes", 6);
  std::vector<Received> got;
  auto sub = Take("d.holes", Durable("holes"), 6, &got);
  for (int i : {0, 2, 4}) ASSERT_TRUE(sub->Ack(got[i].View()).ok());
  ASSERT_TRUE(sub->FlushAcks().ok());
  sub.reset();
  client_.reset();
  ASSERT_TRUE(broker_->Stop().ok());
  ASSERT_TRUE(broker_->Restart().ok());
  client_ = ConnectOrDie(*broker_);

  std::vector<Received> again;
  auto resumed = Take("d.holes", Durable("holes"), 3, &again);
  EXPECT_EQ(OffsetsThroughSentinel("d.holes", again),
            (std::vector<uint64_t>{1, 3, 5, 6}));
}

TEST_F(DurableTest, FlushedAcksSurviveKillNine) {
  PublishAll(*client_, "d.kill", 20);
  std::vector<Received> got;
  auto sub = Take("d.kill", Durable("kill"), 20, &got);
  ASSERT_TRUE(sub->AckThrough(got[11].View()).ok());
  ASSERT_TRUE(sub->FlushAcks().ok());
  broker_->Kill();
  sub.reset();
  client_.reset();
  ASSERT_TRUE(broker_->Restart().ok());
  client_ = ConnectOrDie(*broker_);

  std::vector<Received> again;
  auto resumed = Take("d.kill", Durable("kill"), 8, &again);
  EXPECT_EQ(Offsets(again), Range(12, 20));
}

TEST_F(DurableTest, NewTopicsMatchedWhileAwayAreReadFromTheirStart) {
  std::vector<Received> got;
  auto sub = Take("d.away.>", Durable("away"), 0, &got);
  ASSERT_TRUE(sub->Unsubscribe().ok());
  PublishAll(*client_, "d.away.new", 3);
  std::vector<Received> later;
  auto resumed = Take("d.away.>", Durable("away"), 3, &later);
  EXPECT_EQ(Offsets(later), Range(0, 3));
}

TEST_F(DurableTest, ASecondConnectionCannotTakeADurableInUse) {
  std::vector<Received> got;
  auto sub = Take("d.busy", Durable("busy"), 0, &got);
  auto other = ConnectOrDie(*broker_, "other");
  auto second = other->Subscribe("d.busy", Durable("busy"), [](const auto&) {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists)
      << second.status();
  // Another filter under the same name is refused too.
  ASSERT_TRUE(sub->Unsubscribe().ok());
  auto changed =
      other->Subscribe("d.other", Durable("busy"), [](const auto&) {});
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(DurableTest, UnackedMessagesComeAgainAfterTheAckWait) {
  PublishAll(*client_, "d.wait", 2);
  SubscribeOptions options = Durable("wait");
  options.ack_wait = absl::Milliseconds(200);
  std::vector<Received> got;
  auto sub = Take("d.wait", options, 2, &got);
  ASSERT_TRUE(sub->Ack(got[0].View()).ok());
  // Offset 1 was never acked: it is handed out again with its count.
  Collector& collector = *collectors_.back();
  ASSERT_TRUE(collector.WaitFor(1));
  std::vector<Received> again = collector.Take();
  EXPECT_EQ(again[0].offset, 1u);
  EXPECT_EQ(again[0].delivery_count, 2u);
}

TEST_F(DurableTest, NackRedeliversAtOnce) {
  PublishAll(*client_, "d.nack", 1);
  std::vector<Received> got;
  auto sub = Take("d.nack", Durable("nack"), 1, &got);
  ASSERT_TRUE(sub->Nack(got[0].View()).ok());
  Collector& collector = *collectors_.back();
  ASSERT_TRUE(collector.WaitFor(1, absl::Seconds(5)));
  EXPECT_EQ(collector.Take()[0].delivery_count, 2u);
}

TEST_F(DurableTest, MessagesOutOfDeliveriesGoToTheDeadLetterTopic) {
  client_
      ->Publish("d.poison",
                Message{.key = "k", .value = "bad", .headers = {{"a", "1"}}})
      .get()
      .IgnoreError();
  SubscribeOptions options = Durable("poison");
  options.ack_wait = absl::Milliseconds(100);
  options.max_deliveries = 2;
  std::vector<Received> got;
  auto sub = Take("d.poison", options, 2, &got);
  EXPECT_EQ(got[1].delivery_count, 2u);

  std::vector<Received> dead;
  SubscribeOptions from_start;
  from_start.start = StartPosition::Earliest();
  auto dead_sub = Take("d.poison.dead-letter", from_start, 1, &dead);
  EXPECT_EQ(dead[0].key, "k");
  EXPECT_EQ(dead[0].value, "bad");
  std::map<std::string, std::string> headers(dead[0].headers.begin(),
                                             dead[0].headers.end());
  EXPECT_EQ(headers["a"], "1");
  EXPECT_EQ(headers["chorus-dead-letter-topic"], "d.poison");
  EXPECT_EQ(headers["chorus-dead-letter-offset"], "0");
  EXPECT_EQ(headers["chorus-deliveries"], "2");
  EXPECT_EQ(headers["chorus-subscription"], "poison");
  absl::StatusOr<SubscriptionInfo> info =
      client_->DescribeSubscription("poison");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->dead_lettered, 1u);
  EXPECT_EQ(info->lag, 0u);
}

TEST_F(DurableTest, AutoAcksMoveThePositionAsMessagesAreHandled) {
  PublishAll(*client_, "d.auto", 5);
  std::vector<Received> got;
  auto sub = Take("d.auto", Durable("auto", AckMode::kAuto), 5, &got);
  ASSERT_TRUE(sub->FlushAcks().ok());
  absl::StatusOr<SubscriptionInfo> info = client_->DescribeSubscription("auto");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->lag, 0u);
  EXPECT_EQ(info->members, 1u);
  ASSERT_EQ(info->partitions.size(), 1u);
  EXPECT_EQ(info->partitions[0].position, 5u);
  // Acking by hand is for explicit mode only.
  EXPECT_EQ(sub->Ack(got[0].View()).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DurableTest, AckNoneMovesThePositionAsMessagesAreSent) {
  PublishAll(*client_, "d.none", 4);
  std::vector<Received> got;
  auto sub = Take("d.none", Durable("none", AckMode::kNone), 4, &got);
  EXPECT_EQ(got[0].delivery_count, 0u);
  ASSERT_TRUE(client_->Ping().ok());
  ASSERT_TRUE(sub->Unsubscribe().ok());
  PublishAll(*client_, "d.none", 1, "late");
  std::vector<Received> again;
  auto resumed = Take("d.none", Durable("none", AckMode::kNone), 1, &again);
  EXPECT_EQ(again[0].value, "late0");
}

TEST_F(DurableTest, ListDescribeAndDelete) {
  PublishAll(*client_, "d.admin", 7);
  std::vector<Received> got;
  auto sub = Take("d.admin", Durable("admin"), 7, &got);
  ASSERT_TRUE(sub->AckThrough(got[2].View()).ok());
  ASSERT_TRUE(sub->FlushAcks().ok());

  absl::StatusOr<std::vector<SubscriptionInfo>> list =
      client_->ListSubscriptions();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "admin");
  EXPECT_EQ((*list)[0].filter, "d.admin");
  EXPECT_EQ((*list)[0].lag, 4u);
  ASSERT_EQ((*list)[0].partitions.size(), 1u);
  EXPECT_EQ((*list)[0].partitions[0].pending, 4u);

  EXPECT_EQ(client_->DeleteSubscription("admin").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sub->Unsubscribe().ok());
  ASSERT_TRUE(client_->DeleteSubscription("admin").ok());
  EXPECT_EQ(client_->DescribeSubscription("admin").status().code(),
            absl::StatusCode::kNotFound);
  // The name starts afresh.
  std::vector<Received> fresh;
  auto again = Take("d.admin", Durable("admin"), 7, &fresh);
  EXPECT_EQ(Offsets(fresh), Range(0, 7));
}

TEST_F(DurableTest, FromPublisherKeepsOnlyThatIdentity) {
  auto a = ConnectOrDie(*broker_, "svc-a");
  auto b = ConnectOrDie(*broker_, "svc-b");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a->PublishAndWait("d.who", {.value = "a"}).ok());
    ASSERT_TRUE(b->PublishAndWait("d.who", {.value = "b"}).ok());
  }
  SubscribeOptions plain;
  plain.start = StartPosition::Earliest();
  plain.from_publisher = "svc-b";
  std::vector<Received> got;
  auto sub = Take("d.who", plain, 3, &got);
  SubscribeOptions durable = Durable("who");
  durable.from_publisher = "svc-a";
  std::vector<Received> tracked;
  auto tracked_sub = Take("d.who", durable, 3, &tracked);
  ASSERT_TRUE(client_->Ping().ok());
  for (const Received& m : got) {
    EXPECT_EQ(m.publisher, "svc-b");
    EXPECT_EQ(m.value, "b");
  }
  for (const Received& m : tracked) EXPECT_EQ(m.publisher, "svc-a");
  EXPECT_EQ(collectors_[0]->size(), 0u);
  EXPECT_EQ(collectors_[1]->size(), 0u);
}

TEST_F(DurableTest, UnnamedSubscriptionsMayTakeAcksToo) {
  PublishAll(*client_, "d.ephemeral", 2);
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  options.ack = AckMode::kExplicit;
  options.ack_wait = absl::Milliseconds(300);
  std::vector<Received> got;
  auto sub = Take("d.ephemeral", options, 2, &got);
  ASSERT_EQ(Offsets(got), Range(0, 2));
  ASSERT_TRUE(sub->Ack(got[0].View()).ok());
  ASSERT_TRUE(sub->FlushAcks().ok());
  // Offset 1 comes again after each ack wait; the acked offset 0, which
  // would come again with it, never does.
  Collector& collector = *collectors_.back();
  ASSERT_TRUE(collector.WaitUntil([](const std::vector<Received>& again) {
    return !again.empty() && again.back().delivery_count == 3;
  }));
  std::vector<std::string> redelivered;
  for (const Received& m : collector.Take()) {
    redelivered.push_back(absl::StrCat(m.offset, "#", m.delivery_count));
  }
  EXPECT_THAT(redelivered, ::testing::ElementsAre("1#2", "1#3"));
  // Not a named subscription: nothing to list.
  absl::StatusOr<std::vector<SubscriptionInfo>> list =
      client_->ListSubscriptions();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(DurableTest, BadSubscribeRequestsAreRefused) {
  SubscribeOptions group;
  group.group = true;
  EXPECT_EQ(client_->Subscribe("x", group, [](const auto&) {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  SubscribeOptions no_acks = Durable("g", AckMode::kNone);
  no_acks.group = true;
  EXPECT_EQ(
      client_->Subscribe("x", no_acks, [](const auto&) {}).status().code(),
      absl::StatusCode::kInvalidArgument);
  SubscribeOptions bad_name = Durable("bad name");
  EXPECT_EQ(
      client_->Subscribe("x", bad_name, [](const auto&) {}).status().code(),
      absl::StatusCode::kInvalidArgument);
  SubscribeOptions snapshot = Durable("snap");
  snapshot.start = StartPosition::Snapshot();
  EXPECT_EQ(
      client_->Subscribe("x", snapshot, [](const auto&) {}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(client_->Ping().ok());
}

}  // namespace
}  // namespace chorus::testing
