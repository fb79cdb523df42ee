// Crash torture: publishers stream numbered messages with acks to several
// topics while chorusd is SIGKILLed at random moments and restarted, over
// and over, under each --fsync mode. After every restart:
//   - the log of each topic has dense offsets from 0 (no gap);
//   - every acknowledged message is at the offset its ack named, exactly
//     once, and numbers only increase along the log (in order, no
//     duplicate);
//   - a subscriber that resumes from the offset after the last one it saw
//     sees each message once, and what it saw is what the log holds.
//
// Default: a bounded run (CHORUS_TORTURE_SECONDS=20 per fsync mode) that is
// part of the normal suite. Long run for humans:
//   CHORUS_TORTURE_SECONDS=1800 build/tests/torture/crash_torture_test
// CHORUS_TORTURE_SEED fixes the random kill times (printed by every run).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

constexpr int kTopics = 3;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  int64_t value = 0;
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

std::string TopicName(int t) { return absl::StrCat("torture.", t); }

// What one topic must hold, as learned from acks and deliveries.
struct TopicState {
  uint64_t next_seq = 0;                 // next number to publish
  std::map<uint64_t, uint64_t> acked;    // offset -> number
  std::map<uint64_t, std::string> seen;  // offset -> value, by the subscriber
  uint64_t resume_at = 0;                // subscriber's next offset
  bool subscriber_out_of_order = false;
};

class CrashTorture : public ::testing::TestWithParam<std::string> {
 protected:
  // One life of the broker: publish and subscribe until the kill.
  void RunUntilKilled(absl::Duration life);
  // Reads every topic back and checks the guarantees.
  void Verify();

  std::unique_ptr<BrokerProcess> broker_;
  std::mutex mutex_;
  TopicState topics_[kTopics];
  uint64_t acks_ = 0;
  uint64_t kills_ = 0;
};

void CrashTorture::RunUntilKilled(absl::Duration life) {
  std::unique_ptr<Client> subscriber = ConnectOrDie(*broker_, "resumer");
  ASSERT_NE(subscriber, nullptr);
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  for (int t = 0; t < kTopics; ++t) {
    SubscribeOptions options;
    uint64_t resume_at;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      resume_at = topics_[t].resume_at;
    }
    options.start = StartPosition::Offset(resume_at);
    auto sub = subscriber->Subscribe(
        TopicName(t), options, [this, t](const ReceivedMessage& m) {
          std::lock_guard<std::mutex> lock(mutex_);
          TopicState& state = topics_[t];
          if (m.offset != state.resume_at) {
            state.subscriber_out_of_order = true;
            return;
          }
          state.seen[m.offset] = std::string(m.value);
          state.resume_at = m.offset + 1;
        });
    ASSERT_TRUE(sub.ok()) << sub.status();
    subscriptions.push_back(*std::move(sub));
  }

  // Connected before the broker's life starts, so that the kill never
  // meets a handshake (even a life of 20 ms under a sanitizer).
  std::vector<std::unique_ptr<Client>> clients;
  for (int t = 0; t < kTopics; ++t) {
    clients.push_back(
        ConnectOrDie(*broker_, absl::StrCat("publisher-", t), Impatient()));
    ASSERT_NE(clients.back(), nullptr);
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  for (int t = 0; t < kTopics; ++t) {
    publishers.emplace_back([this, t, &stop, client = clients[t].get()] {
      // Shared with callbacks that may run until the client is destroyed.
      auto failed = std::make_shared<std::atomic<bool>>(false);
      for (int sent = 0; !stop.load() && !failed->load(); ++sent) {
        // Paced (about 10k messages a second a topic) so that the logs stay
        // small enough to verify whole after every one of many kills.
        if (sent % 10 == 0) absl::SleepFor(absl::Milliseconds(1));
        uint64_t seq;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          seq = topics_[t].next_seq++;
        }
        client->Publish(
            TopicName(t), {.value = absl::StrCat(seq)},
            [this, t, seq, failed](absl::StatusOr<PublishResult> r) {
              if (!r.ok()) {
                *failed = true;
                return;
              }
              std::lock_guard<std::mutex> lock(mutex_);
              topics_[t].acked[r->offset] = seq;
              ++acks_;
            });
      }
      client->Close();  // fails what is not acked; callbacks have run
    });
  }
  absl::SleepFor(life);
  broker_->Kill();
  ++kills_;
  stop = true;
  for (std::thread& p : publishers) p.join();
  subscriptions.clear();
  subscriber->Close();
}

void CrashTorture::Verify() {
  std::unique_ptr<Client> reader = ConnectOrDie(*broker_, "verifier");
  ASSERT_NE(reader, nullptr);
  std::lock_guard<std::mutex> lock(mutex_);
  for (int t = 0; t < kTopics; ++t) {
    TopicState& state = topics_[t];
    ASSERT_FALSE(state.subscriber_out_of_order)
        << TopicName(t) << ": a resumed subscriber skipped or repeated";
    absl::StatusOr<TopicInfo> info = reader->DescribeTopic(TopicName(t));
    if (!info.ok() && state.acked.empty()) continue;  // never created
    ASSERT_TRUE(info.ok()) << info.status();
    const uint64_t end = info->partitions.at(0).next_offset;
    Collector collector;
    SubscribeOptions options;
    options.start = StartPosition::Earliest();
    auto sub = reader->Subscribe(TopicName(t), options, collector.Handler());
    ASSERT_TRUE(sub.ok()) << sub.status();
    ASSERT_TRUE(collector.WaitFor(end, absl::Seconds(60)))
        << TopicName(t) << ": " << collector.size() << " of " << end;
    ASSERT_TRUE((*sub)->Unsubscribe().ok());
    std::vector<Received> log = collector.Take();
    ASSERT_EQ(log.size(), end) << TopicName(t);
    int64_t last_seq = -1;
    for (uint64_t offset = 0; offset < end; ++offset) {
      const Received& r = log[offset];
      ASSERT_EQ(r.offset, offset) << TopicName(t) << ": gap or reorder";
      int64_t seq = 0;
      ASSERT_TRUE(absl::SimpleAtoi(r.value, &seq)) << r.value;
      ASSERT_GT(seq, last_seq)
          << TopicName(t) << " offset " << offset << ": out of order or twice";
      last_seq = seq;
    }
    for (const auto& [offset, seq] : state.acked) {
      ASSERT_LT(offset, end) << TopicName(t) << ": acked offset " << offset
                             << " lost (log ends at " << end << ")";
      ASSERT_EQ(log[offset].value, absl::StrCat(seq))
          << TopicName(t) << ": acked message not at its offset " << offset;
    }
    for (const auto& [offset, value] : state.seen) {
      ASSERT_LT(offset, end) << TopicName(t) << ": delivered offset lost";
      ASSERT_EQ(log[offset].value, value)
          << TopicName(t) << ": delivered message changed at " << offset;
    }
  }
}

TEST_P(CrashTorture, KillNineLosesNothingAcknowledged) {
  const absl::Duration budget =
      absl::Seconds(EnvInt("CHORUS_TORTURE_SECONDS", 20));
  const uint64_t seed = static_cast<uint64_t>(
      EnvInt("CHORUS_TORTURE_SEED", absl::ToUnixNanos(absl::Now())));
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> life_ms(20, 600);

  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker =
      BrokerProcess::Start({"--fsync", GetParam(), "--threads", "2"});
  ASSERT_TRUE(broker.ok()) << broker.status();
  broker_ = *std::move(broker);
  const absl::Time deadline = absl::Now() + budget;
  while (absl::Now() < deadline) {
    RunUntilKilled(absl::Milliseconds(life_ms(random)));
    if (HasFatalFailure()) break;
    ASSERT_TRUE(broker_->Restart().ok()) << broker_->Log();
    Verify();
    if (HasFatalFailure()) break;
  }
  std::printf(
      "fsync=%s seed=%llu: %llu kills, %llu acks, topics end at %llu/%llu/"
      "%llu\n",
      GetParam().c_str(), static_cast<unsigned long long>(seed),
      static_cast<unsigned long long>(kills_),
      static_cast<unsigned long long>(acks_),
      static_cast<unsigned long long>(topics_[0].resume_at),
      static_cast<unsigned long long>(topics_[1].resume_at),
      static_cast<unsigned long long>(topics_[2].resume_at));
  EXPECT_GT(kills_, 3u);
  EXPECT_GT(acks_, 0u);
}

INSTANTIATE_TEST_SUITE_P(FsyncModes, CrashTorture,
                         ::testing::Values("always", "interval", "never"));

}  // namespace
}  // namespace chorus::testing
