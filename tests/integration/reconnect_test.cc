// The client library across a broker that crashes or stops: it reconnects
// by itself, sends again what was not acknowledged (stored once), and its
// subscriptions go on with no gap and no duplicate. Real chorusd processes,
// restarted on the same data dir and port.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/sync.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

constexpr int kKeys = 8;

// Quick to notice a silent broker and to come back; still far above what a
// healthy loopback broker needs.
ClientOptions Resilient(std::string name) {
  ClientOptions options;
  options.client_name = std::move(name);
  options.reconnect_backoff_initial = absl::Milliseconds(20);
  options.reconnect_backoff_max = absl::Milliseconds(200);
  options.response_timeout = absl::Milliseconds(400);
  options.keepalive_interval = absl::Milliseconds(100);
  options.connect_timeout = absl::Milliseconds(300);
  return options;
}

std::unique_ptr<Client> ConnectResilient(
    const BrokerProcess& broker, const std::string& name,
    Notification* disconnected = nullptr,
    std::atomic<int>* reconnects = nullptr) {
  ClientOptions options = Resilient(name);
  options.on_disconnect = [disconnected](absl::Status) {
    if (disconnected != nullptr) disconnected->Notify();
  };
  options.on_reconnect = [reconnects] {
    if (reconnects != nullptr) ++*reconnects;
  };
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(broker.address(), options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

// A publisher streaming numbered messages with keys over kKeys keys, a few
// hundred unacknowledged at a time, recording where each was stored.
class Stream {
 public:
  Stream(Client& client, std::string topic, int count)
      : client_(client), topic_(std::move(topic)), count_(count) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Stream() { thread_.join(); }

  // Waits until `n` messages were acknowledged.
  bool WaitForAcks(size_t n, absl::Duration timeout = absl::Seconds(60)) {
    std::unique_lock<std::mutex> lock(mu_);
    return WaitFor(changed_, lock, timeout,
                   [&] { return acked_.size() + failed_.size() >= n; });
  }
  std::map<int, PublishResult> acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  std::vector<absl::Status> failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }

 private:
  void Run() {
    for (int i = 0; i < count_; ++i) {
      if (i % 100 == 0) WaitForAcks(i >= 300 ? i - 300 : 0);
      client_.Publish(
          topic_,
          {.key = absl::StrCat("k", i % kKeys), .value = absl::StrCat(i)},
          [this, i](absl::StatusOr<PublishResult> result) {
            std::lock_guard<std::mutex> lock(mu_);
            if (result.ok()) {
              acked_[i] = *result;
            } else {
              failed_.push_back(result.status());
            }
            changed_.notify_all();
          });
    }
  }

  Client& client_;
  const std::string topic_;
  const int count_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<int, PublishResult> acked_;
  std::vector<absl::Status> failed_;
  std::thread thread_;
};

// Every message of `topic` from the start, read by a fresh client.
std::vector<Received> ReadLog(const BrokerProcess& broker,
                              const std::string& topic, size_t expected) {
  std::unique_ptr<Client> reader = ConnectOrDie(broker, "reader");
  return ReadFromStart(*reader, topic, expected);
}

// What a stream stored: every acknowledged message exactly once, at the
// offset its ack named; nothing that was not published; per key in
// publish order.
void ExpectStoredOnce(const std::vector<Received>& log,
                      const std::map<int, PublishResult>& acked, int count) {
  std::map<std::pair<uint32_t, uint64_t>, int> at;  // where -> message
  std::map<int, int> copies;
  std::map<std::string, int> last_of_key;
  std::map<uint32_t, std::vector<const Received*>> by_partition;
  for (const Received& r : log) by_partition[r.partition].push_back(&r);
  for (auto& [partition, messages] : by_partition) {
    std::sort(messages.begin(), messages.end(),
              [](auto* a, auto* b) { return a->offset < b->offset; });
    for (const Received* r : messages) {
      int i = -1;
      ASSERT_TRUE(absl::SimpleAtoi(r->value, &i)) << r->value;
      ASSERT_GE(i, 0);
      ASSERT_LT(i, count);
      ++copies[i];
      at[{r->partition, r->offset}] = i;
      auto [it, first] = last_of_key.try_emplace(r->key, i);
      if (!first) {
        EXPECT_LT(it->second, i) << "key " << r->key << " out of order";
        it->second = i;
      }
    }
  }
  for (const auto& [i, n] : copies) EXPECT_EQ(n, 1) << "message " << i;
  for (const auto& [i, where] : acked) {
    auto it = at.find({where.partition, where.offset});
    ASSERT_NE(it, at.end()) << "acked message " << i << " is not stored";
    EXPECT_EQ(it->second, i) << "the ack of " << i << " names another message";
  }
}

// A subscription's view: per partition, offsets dense from 0 with no
// repeat, each the stored message.
void ExpectNoGapNoDuplicate(const std::vector<Received>& got,
                            const std::vector<Received>& log) {
  std::map<std::pair<uint32_t, uint64_t>, std::string> stored;
  for (const Received& r : log) stored[{r.partition, r.offset}] = r.value;
  std::map<uint32_t, uint64_t> next;
  for (const Received& r : got) {
    ASSERT_EQ(r.offset, next[r.partition])
        << "partition " << r.partition << ": gap or duplicate";
    ++next[r.partition];
    EXPECT_EQ(r.value, (stored[{r.partition, r.offset}]));
  }
  EXPECT_EQ(got.size(), log.size());
}

class ReconnectTest : public BrokerTest {};

TEST_F(ReconnectTest, KillNineWhileStreamingLosesAndDuplicatesNothing) {
  constexpr int kCount = 3000;
  ASSERT_TRUE(client_->CreateTopic("rc.kill", {.partitions = 3}).ok());
  Notification publisher_lost, subscriber_lost;
  std::atomic<int> publisher_back{0}, subscriber_back{0};
  std::unique_ptr<Client> subscriber = ConnectResilient(
      *broker_, "subscriber", &subscriber_lost, &subscriber_back);
  Collector collector;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  auto sub = subscriber->Subscribe("rc.kill", options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  std::unique_ptr<Client> publisher =
      ConnectResilient(*broker_, "publisher", &publisher_lost, &publisher_back);
  {
    Stream stream(*publisher, "rc.kill", kCount);
    ASSERT_TRUE(stream.WaitForAcks(kCount / 3));
    client_.reset();
    broker_->Kill();
    ASSERT_TRUE(
        publisher_lost.WaitForNotificationWithTimeout(absl::Seconds(20)));
    ASSERT_TRUE(broker_->RestartOnSamePort().ok()) << broker_->Log();
    ASSERT_TRUE(stream.WaitForAcks(kCount));
    EXPECT_THAT(stream.failed(), ::testing::IsEmpty());
    ASSERT_TRUE(publisher->Flush().ok());
    EXPECT_GE(publisher_back.load(), 1);

    std::vector<Received> log = ReadLog(*broker_, "rc.kill", kCount);
    ASSERT_EQ(log.size(), static_cast<size_t>(kCount));
    ExpectStoredOnce(log, stream.acked(), kCount);

    ASSERT_TRUE(collector.WaitFor(kCount));
    ASSERT_TRUE(subscriber->Ping().ok());  // anything beyond arrives before
    EXPECT_TRUE(subscriber_lost.HasBeenNotified());
    EXPECT_GE(subscriber_back.load(), 1);
    ExpectNoGapNoDuplicate(collector.Take(), log);
  }
}

TEST_F(ReconnectTest, AStoppedBrokerIsGivenUpOnAndItsBacklogIsDeduplicated) {
  constexpr int kCount = 2000;
  Notification lost;
  std::atomic<int> back{0};
  std::unique_ptr<Client> publisher =
      ConnectResilient(*broker_, "publisher", &lost, &back);
  std::unique_ptr<Client> subscriber = ConnectResilient(*broker_, "subscriber");
  Collector collector;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  auto sub = subscriber->Subscribe("rc.stop", options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  {
    Stream stream(*publisher, "rc.stop", kCount);
    ASSERT_TRUE(stream.WaitForAcks(kCount / 4));
    ASSERT_EQ(kill(broker_->pid(), SIGSTOP), 0);
    // The connection stays up, the broker says nothing: the client times
    // out, closes it and reconnects (the broker's kernel still accepts) —
    // while the first connection's last batches wait unread in the
    // stopped broker's socket, to be stored when it runs again, before
    // their copies sent again arrive.
    const bool noticed = lost.WaitForNotificationWithTimeout(absl::Seconds(20));
    ASSERT_EQ(kill(broker_->pid(), SIGCONT), 0);
    ASSERT_TRUE(noticed);
    ASSERT_TRUE(stream.WaitForAcks(kCount));
    EXPECT_THAT(stream.failed(), ::testing::IsEmpty());
    EXPECT_GE(back.load(), 1);

    std::vector<Received> log = ReadLog(*broker_, "rc.stop", kCount);
    ASSERT_EQ(log.size(), static_cast<size_t>(kCount));
    ExpectStoredOnce(log, stream.acked(), kCount);
    ASSERT_TRUE(collector.WaitFor(kCount));
    ASSERT_TRUE(subscriber->Ping().ok());
    ExpectNoGapNoDuplicate(collector.Take(), log);
  }
}

TEST_F(ReconnectTest, ADurableSubscriptionResumesFromItsStoredPosition) {
  constexpr int kBefore = 300, kAfter = 200;
  PublishAll(*client_, "rc.durable", kBefore);
  std::atomic<int> back{0};
  std::unique_ptr<Client> subscriber =
      ConnectResilient(*broker_, "billing-app", nullptr, &back);
  Collector collector;
  SubscribeOptions options;
  options.name = "billing";
  options.ack = AckMode::kAuto;
  options.start = StartPosition::Earliest();
  options.credit_messages = 50;  // keeps the broker from running far ahead
  auto sub = subscriber->Subscribe("rc.durable", options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(collector.WaitFor(kBefore / 2));
  client_.reset();
  broker_->Kill();
  ASSERT_TRUE(broker_->RestartOnSamePort().ok()) << broker_->Log();
  client_ = ConnectOrDie(*broker_);
  PublishAll(*client_, "rc.durable", kAfter, "after");
  // Every offset, some perhaps twice (see below).
  ASSERT_TRUE(collector.WaitUntil([](const std::vector<Received>& got) {
    std::set<uint64_t> offsets;
    for (const Received& r : got) offsets.insert(r.offset);
    return offsets.size() == kBefore + kAfter;
  }));
  ASSERT_TRUE((*sub)->FlushAcks().ok());
  EXPECT_GE(back.load(), 1);

  // Every message at least once, first deliveries in offset order with no
  // gap. A message comes again only if the broker had not stored how far
  // the subscription got when it was killed: those are from before it.
  std::vector<Received> got = collector.Take();
  uint64_t next = 0;
  for (const Received& r : got) {
    if (r.offset < next) {
      EXPECT_LT(r.offset, static_cast<uint64_t>(kBefore)) << "a late repeat";
      continue;
    }
    ASSERT_EQ(r.offset, next) << "a gap before offset " << next;
    ++next;
  }
  EXPECT_EQ(next, static_cast<uint64_t>(kBefore + kAfter));
  absl::StatusOr<SubscriptionInfo> info =
      client_->DescribeSubscription("billing");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->lag, 0u);
  EXPECT_EQ(info->members, 1u);
}

}  // namespace
}  // namespace chorus::testing
