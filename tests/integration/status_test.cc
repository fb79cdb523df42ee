// Status topics: the last value of each key, snapshots, and stale markers
// when a publisher's session or lease ends.
#include <atomic>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
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
  std::atomic<int> failed{0};
  absl::Status flushed;
  auto publisher = ConnectOrDie(*broker_, "seam-publisher");
  // Each key's values count up: 0, 1, 2, ...
  std::thread writer([&] {
    for (int round = 0; !stop.load(); ++round) {
      for (int k = 0; k < kKeys; ++k) {
        publisher->Publish(
            "s.seam",
            Message{.key = absl::StrCat("k", k), .value = absl::StrCat(round)},
            [&](absl::StatusOr<PublishResult> r) {
              if (!r.ok()) ++failed;
            });
      }
      rounds = round + 1;
      if (round % 10 == 0) (void)publisher->Flush();
    }
    flushed = publisher->Flush();
  });
  while (rounds.load() < 20) absl::SleepFor(absl::Milliseconds(1));

  SnapshotReader reader;
  auto sub = client_->Subscribe("s.seam", reader.Options(),
                                reader.collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(reader.WaitForEnds(2));
  // Keep publishing well past the seam.
  const int at_seam = rounds.load();
  while (rounds.load() < at_seam + 20) absl::SleepFor(absl::Milliseconds(1));
  stop = true;
  writer.join();
  ASSERT_TRUE(flushed.ok()) << flushed;
  ASSERT_EQ(failed.load(), 0);
  const int final_round = rounds.load() - 1;

  // Each key must show its value at the snapshot point, then every later
  // value once, in order, up to the last: no update lost at the seam, none
  // repeated, none out of order.
  std::map<std::string, std::vector<int>> values;
  auto broken = [&] {
    for (const auto& [key, seen] : values) {
      for (size_t i = 1; i < seen.size(); ++i) {
        if (seen[i] != seen[i - 1] + 1) return true;
      }
    }
    return false;
  };
  auto complete = [&] {
    if (values.size() != kKeys) return false;
    for (const auto& [key, seen] : values) {
      if (seen.back() != final_round) return false;
    }
    return true;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!complete() && !broken() && absl::Now() < deadline) {
    reader.collector.WaitFor(1, absl::Milliseconds(100));
    for (const Received& m : reader.collector.Take()) {
      int value = 0;
      ASSERT_TRUE(absl::SimpleAtoi(m.value, &value)) << m.value;
      values[m.key].push_back(value);
    }
  }
  ASSERT_EQ(values.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, seen] : values) {
    std::vector<int> expected;
    for (int v = seen.front(); v <= final_round; ++v) expected.push_back(v);
    EXPECT_EQ(seen, expected) << key;
  }
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
  // The session's end posts every marker it makes at once: a marker for
  // "unbound" would come before a message published after this one.
  Put(*client_, "s.bind", "sentinel", "after");
  ASSERT_TRUE(watcher.WaitFor(1));
  got = watcher.Take();
  ASSERT_EQ(got.size(), 1u) << "only bound keys go stale";
  EXPECT_EQ(got[0].key, "sentinel");
}

TEST_F(StatusTest, AKeyPublishedAgainByOthersIsNotMarkedStale) {
  CreateStatusTopic("s.moved");
  Collector watcher;
  auto sub = client_->Subscribe("s.moved", {}, watcher.Handler());
  ASSERT_TRUE(sub.ok());
  auto first = ConnectOrDie(*broker_, "first");
  Put(*first, "s.moved", "db", "primary", /*bind=*/true);
  Put(*first, "s.moved", "cache", "warm", /*bind=*/true);
  Put(*client_, "s.moved", "db", "taken-over");
  first->Close();
  // "cache" is still first's: its marker shows the session's end was
  // handled; one for "db" would be posted with it, before the sentinel.
  ASSERT_TRUE(watcher.WaitFor(4));
  Put(*client_, "s.moved", "sentinel", "after");
  ASSERT_TRUE(watcher.WaitFor(5));
  std::vector<std::string> seen;
  for (const Received& m : watcher.Take()) {
    seen.push_back(absl::StrCat(m.key, "=", m.value, "/", HeaderOf(m, kStale)));
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(
                        "db=primary/", "cache=warm/", "db=taken-over/",
                        "cache=/session-ended", "sentinel=after/"));

  SnapshotReader reader;
  auto snapshot_sub = client_->Subscribe("s.moved", reader.Options(),
                                         reader.collector.Handler());
  ASSERT_TRUE(reader.WaitForEnds(1));
  std::map<std::string, std::string> table;
  for (const Received& m : reader.collector.Take()) {
    table[m.key] = absl::StrCat(m.value, "/", HeaderOf(m, kStale));
  }
  EXPECT_EQ(table["db"], "taken-over/");
}

TEST_F(StatusTest, LeasesKeepKeysLiveUntilTheyRunOut) {
  CreateStatusTopic("s.lease");
  absl::StatusOr<uint64_t> lease = client_->GrantLease(absl::Milliseconds(300));
  ASSERT_TRUE(lease.ok()) << lease.status();
  Put(*client_, "s.lease", "cache", "warm", false, *lease);
  Collector watcher;
  auto sub = client_->Subscribe("s.lease", {}, watcher.Handler());
  ASSERT_TRUE(sub.ok());
  // Kept alive: nothing goes stale (a marker would come before a message
  // published after the keep-alives).
  for (int i = 0; i < 8; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(client_->KeepAlive(*lease).ok());
  }
  Put(*client_, "s.lease", "sentinel", "after");
  ASSERT_TRUE(watcher.WaitFor(1));
  std::vector<Received> kept = watcher.Take();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].key, "sentinel");
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
  // Every key once, with its value.
  std::vector<Received> snapshot = reader.collector.Take();
  EXPECT_EQ(snapshot.size(), static_cast<size_t>(kKeys));
  std::set<std::string> keys;
  int wrong_values = 0;
  for (const Received& m : snapshot) {
    keys.insert(m.key);
    if (m.value != "up") ++wrong_values;
  }
  std::set<std::string> expected;
  for (int k = 0; k < kKeys; ++k) expected.insert(absl::StrCat("host-", k));
  EXPECT_TRUE(keys == expected) << keys.size() << " distinct keys";
  EXPECT_EQ(wrong_values, 0);
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
