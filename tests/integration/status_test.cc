// Status topics: the last value of each key, snapshots, and stale markers
// when a publisher's session or lease ends.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

constexpr char kStale[] = "chorus-stale";

std::string HeaderOf(const Received& m, const std::string& name) {
  for (const auto& [header, value] : m.headers) {
    if (header == name) return value;
  }
  return "";
}

// A snapshot subscription that records messages and counts SnapshotEnds.
struct SnapshotReader {
  Collector collector;
  std::atomic<int> ends{0};

  SubscribeOptions Options() {
    SubscribeOptions options;
    options.start = StartPosition::Snapshot();
    options.on_snapshot_end = [this](std::string_view, uint32_t) { ++ends; };
    return options;
  }
  bool WaitForEnds(int n, absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (ends.load() < n && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return ends.load() >= n;
  }
};

class StatusTest : public BrokerTest {
 protected:
  void CreateStatusTopic(const std::string& name, uint32_t partitions = 1) {
    ASSERT_TRUE(
        client_->CreateTopic(name, {.partitions = partitions, .status = true})
            .ok());
  }
  void Put(Client& client, const std::string& topic, const std::string& key,
           const std::string& value, bool bind = false, uint64_t lease = 0) {
    ASSERT_TRUE(client
                    .PublishAndWait(topic, Message{.key = key,
                                                   .value = value,
                                                   .bind = bind,
                                                   .lease_id = lease})
                    .ok());
  }
};

TEST_F(StatusTest, SnapshotHoldsTheLastValueOfEachKeyThenLiveChanges) {
  CreateStatusTopic("s.basic", 2);
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 5; ++k) {
      Put(*client_, "s.basic", absl::StrCat("svc", k),
          absl::StrCat("v", round));
    }
  }
  SnapshotReader reader;
  auto sub = client_->Subscribe("s.basic", reader.Options(),
                                reader.collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(reader.WaitForEnds(2));
  std::vector<Received> snapshot = reader.collector.Take();
  ASSERT_EQ(snapshot.size(), 5u);
  for (const Received& m : snapshot) EXPECT_EQ(m.value, "v2") << m.key;

  Put(*client_, "s.basic", "svc1", "v3");
  ASSERT_TRUE(reader.collector.WaitFor(1));
  std::vector<Received> live = reader.collector.Take();
  EXPECT_EQ(live[0].key, "svc1");
  EXPECT_EQ(live[0].value, "v3");
}

TEST_F(StatusTest, HistoryStaysReplayableBesideTheSnapshot) {
  CreateStatusTopic("s.history");
  for (int i = 0; i < 4; ++i) Put(*client_, "s.history", "k", absl::StrCat(i));
  absl::StatusOr<TopicInfo> info = client_->DescribeTopic("s.history");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->config.status);
  EXPECT_EQ(info->config.retention_age, absl::Hours(24));
  Collector all;
  SubscribeOptions earliest;
  earliest.start = StartPosition::Earliest();
  auto sub = client_->Subscribe("s.history", earliest, all.Handler());
  ASSERT_TRUE(all.WaitFor(4));
}

TEST_F(StatusTest, SnapshotToLiveSeamUnderConcurrentPublishing) {
  CreateStatusTopic("s.seam", 2);
  constexpr int kKeys = 100;
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  auto publisher = ConnectOrDie(*broker_, "seam-publisher");
  // Each key's values count up: 0, 1, 2, ...
  std::thread writer([&] {
    for (int round = 0; !stop.load(); ++round) {
      for (int k = 0; k < kKeys; ++k) {
        publisher->Publish(
            "s.seam",
            Message{.key = absl::StrCat("k", k), .value = absl::StrCat(round)},
            [](absl::StatusOr<PublishResult>) {});
      }
      rounds = round + 1;
      if (round % 10 == 0) (void)publisher->Flush();
    }
    (void)publisher->Flush();
  });
  while (rounds.load() < 20) absl::SleepFor(absl::Milliseconds(1));

  SnapshotReader reader;
  auto sub = client_->Subscribe("s.seam", reader.Options(),
                                reader.collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(reader.WaitForEnds(2));
  absl::SleepFor(absl::Milliseconds(200));
  stop = true;
  writer.join();
  const int final_round = rounds.load() - 1;
  // Wait until every key's final value has arrived.
  std::map<std::string, int> last;
  std::map<std::string, int> seen_count;
  std::vector<Received> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    for (Received& m : reader.collector.Take()) got.push_back(std::move(m));
    last.clear();
    bool ordered = true;
    for (const Received& m : got) {
      int value = 0;
      ASSERT_TRUE(absl::SimpleAtoi(m.value, &value));
      auto [it, fresh] = last.emplace(m.key, value);
      // No duplicate and no step back: each value at most once, in order.
      if (!fresh) {
        ordered = ordered && value > it->second;
        EXPECT_GT(value, it->second) << m.key;
        it->second = value;
      }
    }
    if (!ordered) break;
    bool complete = last.size() == kKeys;
    for (const auto& [key, value] : last) complete &= value == final_round;
    if (complete) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(last.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, value] : last) EXPECT_EQ(value, final_round) << key;
}

TEST_F(StatusTest, KeysBoundToASessionGoStaleWhenItEnds) {
  CreateStatusTopic("s.bind");
  auto service = ConnectOrDie(*broker_, "svc-payments");
  Put(*service, "s.bind", "payments", "up", /*bind=*/true);
  Put(*service, "s.bind", "unbound", "up");
  Collector watcher;
  auto sub = client_->Subscribe("s.bind", {}, watcher.Handler());
  ASSERT_TRUE(sub.ok());
  service->Close();
  ASSERT_TRUE(watcher.WaitFor(1));
  std::vector<Received> got = watcher.Take();
  EXPECT_EQ(got[0].key, "payments");
  EXPECT_EQ(got[0].value, "");
  EXPECT_EQ(got[0].publisher, "svc-payments");
  EXPECT_EQ(HeaderOf(got[0], kStale), "session-ended");
  ASSERT_TRUE(client_->Ping().ok());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(watcher.size(), 0u) << "only bound keys go stale";
}

TEST_F(StatusTest, AKeyPublishedAgainByOthersIsNotMarkedStale) {
  CreateStatusTopic("s.moved");
  auto first = ConnectOrDie(*broker_, "first");
  Put(*first, "s.moved", "db", "primary", /*bind=*/true);
  Put(*client_, "s.moved", "db", "taken-over");
  first->Close();
  ASSERT_TRUE(ConnectOrDie(*broker_)->Ping().ok());
  absl::SleepFor(absl::Milliseconds(200));
  SnapshotReader reader;
  auto sub = client_->Subscribe("s.moved", reader.Options(),
                                reader.collector.Handler());
  ASSERT_TRUE(reader.WaitForEnds(1));
  std::vector<Received> snapshot = reader.collector.Take();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].value, "taken-over");
  EXPECT_EQ(HeaderOf(snapshot[0], kStale), "");
}

TEST_F(StatusTest, LeasesKeepKeysLiveUntilTheyRunOut) {
  CreateStatusTopic("s.lease");
  absl::StatusOr<uint64_t> lease = client_->GrantLease(absl::Milliseconds(300));
  ASSERT_TRUE(lease.ok()) << lease.status();
  Put(*client_, "s.lease", "cache", "warm", false, *lease);
  Collector watcher;
  auto sub = client_->Subscribe("s.lease", {}, watcher.Handler());
  ASSERT_TRUE(sub.ok());
  // Kept alive: nothing goes stale.
  for (int i = 0; i < 8; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(client_->KeepAlive(*lease).ok());
  }
  EXPECT_EQ(watcher.size(), 0u);
  // Left alone: it runs out and the key goes stale.
  ASSERT_TRUE(watcher.WaitFor(1, absl::Seconds(5)));
  std::vector<Received> got = watcher.Take();
  EXPECT_EQ(got[0].key, "cache");
  EXPECT_EQ(HeaderOf(got[0], kStale), "lease-expired");
  EXPECT_EQ(client_->KeepAlive(*lease).code(), absl::StatusCode::kNotFound);

  absl::StatusOr<uint64_t> revoked = client_->GrantLease(absl::Seconds(60));
  ASSERT_TRUE(revoked.ok());
  Put(*client_, "s.lease", "queue", "ok", false, *revoked);
  ASSERT_TRUE(client_->RevokeLease(*revoked).ok());
  ASSERT_TRUE(watcher.WaitFor(2));
  got = watcher.Take();
  EXPECT_EQ(got[1].key, "queue");
  EXPECT_EQ(HeaderOf(got[1], kStale), "lease-revoked");
}

TEST_F(StatusTest, TheKeyTableSurvivesARestart) {
  CreateStatusTopic("s.restart");
  Put(*client_, "s.restart", "a", "1");
  Put(*client_, "s.restart", "a", "2");
  Put(*client_, "s.restart", "b", "3");
  client_.reset();
  broker_->Kill();
  ASSERT_TRUE(broker_->Restart().ok());
  client_ = ConnectOrDie(*broker_);
  SnapshotReader reader;
  auto sub = client_->Subscribe("s.restart", reader.Options(),
                                reader.collector.Handler());
  ASSERT_TRUE(reader.WaitForEnds(1));
  std::map<std::string, std::string> table;
  for (const Received& m : reader.collector.Take()) table[m.key] = m.value;
  EXPECT_EQ(table,
            (std::map<std::string, std::string>{{"a", "2"}, {"b", "3"}}));
}

TEST_F(StatusTest, SnapshotOfAHundredThousandKeys) {
  CreateStatusTopic("s.large", 4);
  constexpr int kKeys = 100'000;
  std::vector<std::future<absl::StatusOr<PublishResult>>> acks;
  acks.reserve(kKeys);
  for (int k = 0; k < kKeys; ++k) {
    acks.push_back(client_->Publish(
        "s.large", Message{.key = absl::StrCat("host-", k), .value = "up"}));
  }
  for (auto& ack : acks) ASSERT_TRUE(ack.get().ok());
  SnapshotReader reader;
  SubscribeOptions options = reader.Options();
  options.credit_messages = 10'000;
  const absl::Time start = absl::Now();
  auto sub = client_->Subscribe("s.large", options, reader.collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(reader.WaitForEnds(4, absl::Seconds(60)));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(reader.collector.size(), static_cast<size_t>(kKeys));
  // For the closing note; no timing is asserted.
  std::cout << "snapshot of " << kKeys << " keys over 4 partitions took "
            << absl::FormatDuration(took) << "\n";
}

TEST_F(StatusTest, SnapshotOfAPlainTopicIsEmpty) {
  PublishAll(*client_, "s.plain", 3);
  SnapshotReader reader;
  auto sub = client_->Subscribe("s.plain", reader.Options(),
                                reader.collector.Handler());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(reader.WaitForEnds(1));
  PublishAll(*client_, "s.plain", 1, "live");
  ASSERT_TRUE(reader.collector.WaitFor(1));
  EXPECT_EQ(reader.collector.Take()[0].value, "live0");
}

}  // namespace
}  // namespace chorus::testing
