// Topic administration and retention against a real chorusd.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sync.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

// "value@offset" of each message.
std::vector<std::string> ValuesAtOffsets(const std::vector<Received>& got) {
  std::vector<std::string> seen;
  for (const Received& m : got) {
    seen.push_back(absl::StrCat(m.value, "@", m.offset));
  }
  return seen;
}

class AdminTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerFlags() override {
    return {"--retention-check-interval", "100ms"};
  }

  // Waits until partition 0 of `topic` starts at `start` or later.
  bool WaitForStart(const std::string& topic, uint64_t start) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      absl::StatusOr<TopicInfo> info = client_->DescribeTopic(topic);
      if (info.ok() && info->partitions[0].start_offset >= start) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }
};

TEST_F(AdminTest, CreateListDescribeDelete) {
  TopicConfig config{.partitions = 3,
                     .retention_age = absl::Hours(24),
                     .retention_bytes = 1 << 30,
                     .retention_messages = 1000000};
  absl::StatusOr<TopicInfo> created =
      client_->CreateTopic("acme.orders", config);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "acme.orders");
  EXPECT_EQ(created->partitions.size(), 3u);
  EXPECT_EQ(created->config.retention_age, absl::Hours(24));
  EXPECT_EQ(created->config.retention_messages, 1000000u);

  ASSERT_TRUE(client_->CreateTopic("acme.users", {}).ok());
  absl::StatusOr<std::vector<TopicInfo>> list = client_->ListTopics();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> names;
  for (const TopicInfo& t : *list) names.push_back(t.name);
  EXPECT_THAT(names, ::testing::ElementsAre("acme.orders", "acme.users"));

  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        client_
            ->PublishAndWait("acme.orders", {.key = "k" + std::to_string(i),
                                             .value = std::string(100, 'v')})
            .ok());
  }
  absl::StatusOr<TopicInfo> described = client_->DescribeTopic("acme.orders");
  ASSERT_TRUE(described.ok());
  uint64_t messages = 0, bytes = 0;
  for (const PartitionInfo& p : described->partitions) {
    EXPECT_EQ(p.start_offset, 0u);
    messages += p.next_offset;
    bytes += p.bytes;
  }
  EXPECT_EQ(messages, 30u);
  EXPECT_GE(bytes, 30u * 100);

  ASSERT_TRUE(client_->DeleteTopic("acme.orders").ok());
  EXPECT_EQ(client_->DescribeTopic("acme.orders").status().code(),
            absl::StatusCode::kNotFound);
  // A topic re-created under the same name starts empty.
  ASSERT_TRUE(client_->CreateTopic("acme.orders", {}).ok());
  absl::StatusOr<TopicInfo> again = client_->DescribeTopic("acme.orders");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->partitions[0].next_offset, 0u);
}

TEST_F(AdminTest,
       DeletingATopicEndsItsSubscriptionsAndLiveWildcardsSeeItsSuccessor) {
  Collector wildcard;
  auto wildcard_sub = client_->Subscribe("gone.>", {}, wildcard.Handler());
  ASSERT_TRUE(wildcard_sub.ok());
  // An exact subscription that is behind when the topic goes: its handler
  // holds the first message, and it grants no credit beyond one message.
  Notification release;
  Collector exact;
  std::atomic<int> exact_errors{0};
  SubscribeOptions behind;
  behind.start = StartPosition::Earliest();
  behind.credit_messages = 1;
  behind.on_error = [&](absl::Status) { ++exact_errors; };
  std::unique_ptr<Client> reader = ConnectOrDie(*broker_, "exact-reader");
  Client::MessageHandler record = exact.Handler();
  auto exact_sub =
      reader->Subscribe("gone.x", behind, [&](const ReceivedMessage& m) {
        if (m.value == "old0") {
          EXPECT_TRUE(
              release.WaitForNotificationWithTimeout(absl::Seconds(30)));
        }
        record(m);
      });
  ASSERT_TRUE(exact_sub.ok()) << exact_sub.status();

  // One batch each, so that credit for one message holds back the rest.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        client_->PublishAndWait("gone.x", {.value = absl::StrCat("old", i)})
            .ok());
  }
  ASSERT_TRUE(wildcard.WaitFor(3));
  ASSERT_TRUE(client_->DeleteTopic("gone.x").ok());
  PublishAll(*client_, "gone.x", 2, "new");
  ASSERT_TRUE(wildcard.WaitFor(5));
  std::vector<Received> got = wildcard.Take();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[3].value, "new0");
  EXPECT_EQ(got[3].offset, 0u);
  EXPECT_EQ(got[4].value, "new1");

  // Released, the exact subscription gets nothing more of the deleted
  // topic (old1 and old2 went with it), and follows its name to the
  // successor, from its start.
  release.Notify();
  ASSERT_TRUE(exact.WaitFor(3));
  EXPECT_THAT(ValuesAtOffsets(exact.Take()),
              ::testing::ElementsAre("old0@0", "new0@0", "new1@1"));
  EXPECT_EQ(exact_errors.load(), 0);
}

TEST_F(AdminTest, RetentionByMessagesDropsWholeOldBatches) {
  ASSERT_TRUE(client_->CreateTopic("t.ret", {.retention_messages = 10}).ok());
  // One batch per message, so retention can cut anywhere.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(client_->PublishAndWait("t.ret", {.value = "v"}).ok());
  }
  ASSERT_TRUE(WaitForStart("t.ret", 40));
  Collector collector;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  auto sub = client_->Subscribe("t.ret", options, collector.Handler());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(client_->PublishAndWait("t.ret", {.value = "end"}).ok());
  ASSERT_TRUE(collector.WaitFor(2));
  ASSERT_TRUE(client_->Ping().ok());
  std::vector<Received> got = collector.Take();
  // Exactly the last 10 are kept (whole single-message batches).
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got.front().offset, 40u);
  EXPECT_EQ(got.back().value, "end");
  EXPECT_EQ(got.back().offset, 50u);
}

TEST_F(AdminTest, RetentionByBytesKeepsTheNewestBatchesWithinTheLimit) {
  ASSERT_TRUE(client_->CreateTopic("t.bytes", {.retention_bytes = 4096}).ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        client_->PublishAndWait("t.bytes", {.value = std::string(500, 'b')})
            .ok());
  }
  // 40 single-message batches of ~520 bytes: about 7 fit in 4 KiB. A
  // retention pass may have run before the last publishes: wait for the one
  // after them.
  absl::StatusOr<TopicInfo> info;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    absl::SleepFor(absl::Milliseconds(50));
    info = client_->DescribeTopic("t.bytes");
    ASSERT_TRUE(info.ok());
  } while (info->partitions[0].bytes > 4096u && absl::Now() < deadline);
  EXPECT_LE(info->partitions[0].bytes, 4096u);
  EXPECT_GT(info->partitions[0].bytes, 4096u - 2 * 600);
  EXPECT_EQ(info->partitions[0].next_offset, 40u);
}

TEST_F(AdminTest, RetentionByAgeDropsOldMessages) {
  constexpr absl::Duration kAge = absl::Milliseconds(1500);
  ASSERT_TRUE(client_->CreateTopic("t.age", {.retention_age = kAge}).ok());
  PublishAll(*client_, "t.age", 5, "old");
  absl::SleepFor(kAge + absl::Milliseconds(100));  // let them age past it
  // One batch each: the newest batch always stays (recovery reads the next
  // offset from it), so only the older young ones show that age decides.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        client_->PublishAndWait("t.age", {.value = absl::StrCat("young", i)})
            .ok());
  }
  ASSERT_TRUE(WaitForStart("t.age", 5));
  // The young ones are all still there (checked well within their age).
  EXPECT_THAT(ValuesAtOffsets(ReadFromStart(*client_, "t.age", 3)),
              ::testing::ElementsAre("young0@5", "young1@6", "young2@7"));
  absl::StatusOr<TopicInfo> info = client_->DescribeTopic("t.age");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->partitions[0].start_offset, 5u);
  EXPECT_EQ(info->partitions[0].next_offset, 8u);
}

}  // namespace
}  // namespace chorus::testing
