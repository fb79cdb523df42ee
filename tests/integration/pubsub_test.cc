// Publish and subscribe through the client library against a real chorusd.
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/sync.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class PubSubTest : public BrokerTest {};

TEST_F(PubSubTest, SubscriberGetsEveryMessageInOrderWithItsMetadata) {
  Collector collector;
  auto sub =
      client_->Subscribe("acme.payments.status", {}, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();

  const int64_t before = absl::ToUnixMillis(absl::Now());
  absl::StatusOr<PublishResult> first = client_->PublishAndWait(
      "acme.payments.status", {.key = "eu-1",
                               .value = "up",
                               .headers = {{"region", "eu"}, {"v", "2"}}});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->offset, 0u);
  PublishAll(*client_, "acme.payments.status", 99);

  ASSERT_TRUE(collector.WaitFor(100));
  std::vector<Received> got = collector.Take();
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got[0].topic, "acme.payments.status");
  EXPECT_EQ(got[0].key, "eu-1");
  EXPECT_EQ(got[0].value, "up");
  EXPECT_EQ(got[0].publisher, "it-client");
  EXPECT_THAT(got[0].headers,
              ElementsAre(Pair("region", "eu"), Pair("v", "2")));
  EXPECT_GE(got[0].timestamp_ms, before - 1000);
  EXPECT_LE(got[0].timestamp_ms, absl::ToUnixMillis(absl::Now()) + 1000);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].offset, i);
    if (i > 0) {
      EXPECT_EQ(got[i].value, "m" + std::to_string(i - 1));
    }
  }
}

TEST_F(PubSubTest, EverySubscriberGetsEverything) {
  constexpr int kSubscribers = 4;
  constexpr int kMessages = 2000;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Collector> collectors(kSubscribers);
  std::vector<std::unique_ptr<Subscription>> subs;
  for (int i = 0; i < kSubscribers; ++i) {
    clients.push_back(ConnectOrDie(*broker_, "sub-" + std::to_string(i)));
    auto sub =
        clients.back()->Subscribe("fan.out", {}, collectors[i].Handler());
    ASSERT_TRUE(sub.ok()) << sub.status();
    subs.push_back(*std::move(sub));
  }
  PublishAll(*client_, "fan.out", kMessages);
  for (Collector& collector : collectors) {
    ASSERT_TRUE(collector.WaitFor(kMessages));
    std::vector<Received> got = collector.Take();
    ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) {
      ASSERT_EQ(got[i].offset, static_cast<uint64_t>(i));
      ASSERT_EQ(got[i].value, "m" + std::to_string(i));
    }
  }
}

TEST_F(PubSubTest, WildcardsMatchTokensAndPickUpNewTopics) {
  Collector star, tail;
  auto star_sub = client_->Subscribe("acme.*.status", {}, star.Handler());
  auto tail_sub = client_->Subscribe("acme.>", {}, tail.Handler());
  ASSERT_TRUE(star_sub.ok() && tail_sub.ok());

  // Each of these topics is created by its first publish, after the
  // subscriptions started.
  for (const char* topic :
       {"acme.payments.status", "acme.search.status", "acme.payments.latency",
        "acme.a.b.status", "other.payments.status"}) {
    ASSERT_TRUE(client_->PublishAndWait(topic, {.value = topic}).ok());
  }
  ASSERT_TRUE(tail.WaitFor(4));
  ASSERT_TRUE(star.WaitFor(2));
  // Nothing more arrives: compare exact sets after a round trip.
  ASSERT_TRUE(client_->Ping().ok());
  std::multiset<std::string> star_values, tail_values;
  for (const Received& r : star.Take()) star_values.insert(r.value);
  for (const Received& r : tail.Take()) tail_values.insert(r.value);
  EXPECT_EQ(star_values, (std::multiset<std::string>{"acme.payments.status",
                                                     "acme.search.status"}));
  EXPECT_EQ(tail_values, (std::multiset<std::string>{
                             "acme.payments.status", "acme.search.status",
                             "acme.payments.latency", "acme.a.b.status"}));
}

TEST_F(PubSubTest, ExactSubscriptionWaitsForItsTopicToBeCreated) {
  Collector collector;
  auto sub = client_->Subscribe("t.not.yet", {}, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  PublishAll(*client_, "t.not.yet", 5);
  ASSERT_TRUE(collector.WaitFor(5));
  std::vector<Received> got = collector.Take();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].offset, 0u);
  EXPECT_EQ(got[4].value, "m4");
}

TEST_F(PubSubTest, LiveSubscriptionDoesNotGetHistory) {
  PublishAll(*client_, "t.live", 5, "old");
  Collector collector;
  auto sub = client_->Subscribe("t.live", {}, collector.Handler());
  ASSERT_TRUE(sub.ok());
  PublishAll(*client_, "t.live", 3, "new");
  ASSERT_TRUE(collector.WaitFor(3));
  ASSERT_TRUE(client_->Ping().ok());
  std::vector<Received> got = collector.Take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].value, "new0");
  EXPECT_EQ(got[0].offset, 5u);
}

struct StartCase {
  std::string name;
  StartPosition::Kind kind;
  int64_t value;          // for kOffset and kLast
  uint64_t first_offset;  // expected, of 20 stored messages
};

TEST_F(PubSubTest, EveryStartPositionReplaysFromTheRightOffset) {
  const std::vector<StartCase> cases = {
      {"earliest", StartPosition::Kind::kEarliest, 0, 0},
      {"offset", StartPosition::Kind::kOffset, 7, 7},
      {"time", StartPosition::Kind::kTime, 0, 10},
      {"last", StartPosition::Kind::kLast, 3, 17},
      {"offset past the end", StartPosition::Kind::kOffset, 1000, 20},
      {"last more than stored", StartPosition::Kind::kLast, 1000, 0},
  };
  for (size_t n = 0; n < cases.size(); ++n) {
    const StartCase& c = cases[n];
    SCOPED_TRACE(c.name);
    const std::string topic = "t.replay" + std::to_string(n);
    PublishAll(*client_, topic, 10, "a");
    absl::SleepFor(absl::Milliseconds(20));  // a timestamp gap to look up
    const absl::Time middle = absl::Now();
    absl::SleepFor(absl::Milliseconds(20));
    PublishAll(*client_, topic, 10, "b");

    Collector collector;
    SubscribeOptions options;
    options.start = {c.kind, c.kind == StartPosition::Kind::kTime
                                 ? absl::ToUnixMillis(middle)
                                 : c.value};
    auto sub = client_->Subscribe(topic, options, collector.Handler());
    ASSERT_TRUE(sub.ok()) << sub.status();
    // A live message closes the replay: everything before it must be there.
    ASSERT_TRUE(client_->PublishAndWait(topic, {.value = "end"}).ok());
    const size_t expected = 20 - c.first_offset + 1;
    ASSERT_TRUE(collector.WaitFor(expected));
    ASSERT_TRUE(client_->Ping().ok());
    std::vector<Received> got = collector.Take();
    ASSERT_EQ(got.size(), expected);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].offset, c.first_offset + i);
    }
    EXPECT_EQ(got.back().value, "end");
  }
}

TEST_F(PubSubTest, KeysKeepTheirPartitionAndOrder) {
  ASSERT_TRUE(client_->CreateTopic("t.keyed", {.partitions = 4}).ok());
  Collector collector;
  auto sub = client_->Subscribe("t.keyed", {}, collector.Handler());
  ASSERT_TRUE(sub.ok());
  std::vector<std::future<absl::StatusOr<PublishResult>>> acks;
  for (int i = 0; i < 400; ++i) {
    acks.push_back(client_->Publish(
        "t.keyed",
        {.key = "svc-" + std::to_string(i % 8), .value = std::to_string(i)}));
  }
  std::map<std::string, uint32_t> partition_of_key;
  for (int i = 0; i < 400; ++i) {
    absl::StatusOr<PublishResult> ack = acks[i].get();
    ASSERT_TRUE(ack.ok()) << ack.status();
    const std::string key = "svc-" + std::to_string(i % 8);
    auto [it, inserted] = partition_of_key.emplace(key, ack->partition);
    EXPECT_EQ(it->second, ack->partition) << key;
  }
  std::set<uint32_t> used;
  for (const auto& [key, partition] : partition_of_key) used.insert(partition);
  EXPECT_GT(used.size(), 1u);

  ASSERT_TRUE(collector.WaitFor(400));
  std::map<std::string, int> last_value;
  for (const Received& r : collector.Take()) {
    EXPECT_EQ(partition_of_key[r.key], r.partition);
    const int value = std::stoi(r.value);
    auto it = last_value.find(r.key);
    if (it != last_value.end()) {
      EXPECT_GT(value, it->second) << r.key;
    }
    last_value[r.key] = value;
  }
}

TEST_F(PubSubTest, StalledSubscriberDoesNotHoldUpOthersAndCatchesUpLater) {
  constexpr int kMessages = 20000;
  // The stalled client blocks its only I/O thread in the handler, so it stops
  // reading its socket altogether, like a hung consumer.
  std::unique_ptr<Client> stalled_client = ConnectOrDie(*broker_, "stalled");
  Notification release;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<uint64_t> stalled_offsets;
  auto stalled =
      stalled_client->Subscribe("t.stall", {}, [&](const ReceivedMessage& m) {
        if (m.offset == 0) release.WaitForNotification();
        std::lock_guard<std::mutex> lock(mutex);
        stalled_offsets.push_back(m.offset);
        changed.notify_all();
      });
  ASSERT_TRUE(stalled.ok());
  Collector healthy;
  std::unique_ptr<Client> healthy_client = ConnectOrDie(*broker_, "healthy");
  auto sub = healthy_client->Subscribe("t.stall", {}, healthy.Handler());
  ASSERT_TRUE(sub.ok());

  const std::string payload(512, 'p');
  std::vector<std::future<absl::StatusOr<PublishResult>>> acks;
  for (int i = 0; i < kMessages; ++i) {
    acks.push_back(client_->Publish("t.stall", {.value = payload}));
  }
  for (auto& ack : acks) ASSERT_TRUE(ack.get().ok());
  // Every publish was acked and the healthy subscriber got everything while
  // the other one was stuck on its first message.
  ASSERT_TRUE(healthy.WaitFor(kMessages));
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_TRUE(stalled_offsets.empty());
  }

  // Released, it catches up from the log, in order, missing nothing.
  release.Notify();
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(WaitFor(changed, lock, absl::Seconds(30),
                        [&] { return stalled_offsets.size() >= kMessages; }));
  }
  ASSERT_TRUE((*stalled)->Unsubscribe().ok());
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(stalled_offsets.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(stalled_offsets[i], static_cast<uint64_t>(i));
  }
}

TEST_F(PubSubTest, ReplayToLiveSeamHasNoGapAndNoDuplicateUnderLoad) {
  // A publisher streams while subscribers join from the start: each must
  // see offsets 0, 1, 2... with nothing missing or repeated across the
  // switch from reading the log to live delivery.
  constexpr int kRounds = 300;
  constexpr int kPerRound = 100;
  constexpr int kMessages = kRounds * kPerRound;
  std::unique_ptr<Client> publisher = ConnectOrDie(*broker_, "streamer");
  std::atomic<int> rounds{0};
  std::thread stream([&] {
    for (int r = 0; r < kRounds; ++r) {
      PublishAll(*publisher, "t.seam", kPerRound);
      ++rounds;
    }
  });
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Collector> collectors(3);
  std::vector<std::unique_ptr<Subscription>> subs;
  for (size_t i = 0; i < collectors.size(); ++i) {
    // Join at different points of the stream, while it runs.
    while (rounds.load() < static_cast<int>(20 + 60 * i)) {
      std::this_thread::yield();
    }
    clients.push_back(ConnectOrDie(*broker_, "joiner"));
    SubscribeOptions options;
    options.start = StartPosition::Earliest();
    auto sub =
        clients.back()->Subscribe("t.seam", options, collectors[i].Handler());
    ASSERT_TRUE(sub.ok()) << sub.status();
    subs.push_back(*std::move(sub));
  }
  stream.join();
  for (Collector& collector : collectors) {
    ASSERT_TRUE(collector.WaitFor(kMessages, absl::Seconds(60)));
    std::vector<Received> got = collector.Take();
    ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) {
      ASSERT_EQ(got[i].offset, static_cast<uint64_t>(i));
    }
  }
}

TEST_F(PubSubTest, OneClientPublishesSafelyFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  constexpr int kMessages = kThreads * kPerThread;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::map<uint64_t, std::string> acked;  // offset -> value
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string prefix = "t" + std::to_string(t) + "-";
      const std::vector<PublishResult> results =
          PublishAll(*client_, "t.threads", kPerThread, prefix);
      ASSERT_EQ(results.size(), static_cast<size_t>(kPerThread));
      std::lock_guard<std::mutex> lock(mutex);
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(
            acked.emplace(results[i].offset, prefix + std::to_string(i)).second)
            << "offset " << results[i].offset << " acked twice";
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(acked.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(acked.rbegin()->first, kMessages - 1u);

  // Read back, each message is whole and where its ack said; each thread's
  // messages keep the order it published them in.
  Collector collector;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  auto sub = client_->Subscribe("t.threads", options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(collector.WaitFor(kMessages));
  std::vector<Received> got = collector.Take();
  ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
  std::map<std::string, int> next_of_thread;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(got[i].offset, static_cast<uint64_t>(i));
    ASSERT_EQ(got[i].value, acked[i]) << "offset " << i;
    const size_t dash = got[i].value.find('-');
    const std::string thread = got[i].value.substr(0, dash);
    ASSERT_EQ(got[i].value.substr(dash + 1),
              std::to_string(next_of_thread[thread]++))
        << "offset " << i;
  }
}

}  // namespace
}  // namespace chorus::testing
