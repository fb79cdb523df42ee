// A TCP-level fuzzer against a live chorusd: hostile connections send random
// bytes and mutated frames (bit flips, wrong lengths, truncations, random
// field values) while a healthy client keeps publishing and subscribing.
// The healthy client must see no error and get every message, in order;
// the broker must stay up, within bounded memory, and (in sanitizer builds)
// report nothing.
//
// CHORUS_HOSTILE_SECONDS sets the run (default 15); CHORUS_HOSTILE_SEED
// replays one (every run prints its seed).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "proto/frame_codec.h"
#include "proto/records.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  int64_t value = 0;
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

// Valid frames of every kind a client sends, with random fields.
wire::Frame RandomFrame(std::mt19937_64& random) {
  auto pick = [&](uint64_t n) { return random() % n; };
  const std::string topic = absl::StrCat("h.", pick(8));
  wire::Frame f;
  f.set_correlation_id(pick(1000));
  switch (pick(10)) {
    case 0: {
      f.mutable_publish()->set_topic(topic);
      std::string records;
      for (uint64_t i = 0, n = pick(20); i < n; ++i) {
        proto::AppendRecord(std::string(pick(16), 'k'),
                            std::string(pick(4096), 'v'),
                            {{"h", std::string(pick(8), 'x')}}, &records);
      }
      f.mutable_publish()->set_records(records);
      if (pick(4) == 0) f.mutable_publish()->set_partition(pick(4));
      break;
    }
    case 1: {
      wire::Subscribe* s = f.mutable_subscribe();
      s->set_subscription_id(pick(6));
      s->set_filter(pick(3) == 0 ? "h.>" : topic);
      s->mutable_start()->set_kind(
          static_cast<wire::StartPosition::Kind>(pick(6)));
      s->mutable_start()->set_value(static_cast<int64_t>(random()));
      s->set_credit_messages(pick(2) ? random() : pick(10));
      s->set_credit_bytes(pick(2) ? random() : pick(100000));
      break;
    }
    case 2:
      f.mutable_unsubscribe()->set_subscription_id(pick(6));
      break;
    case 3:
      f.mutable_credit()->set_subscription_id(pick(6));
      f.mutable_credit()->set_messages(random());
      f.mutable_credit()->set_bytes(random());
      break;
    case 4:
      f.mutable_create_topic()->set_name(topic);
      f.mutable_create_topic()->mutable_config()->set_partitions(pick(5));
      f.mutable_create_topic()->mutable_config()->set_retention_messages(
          pick(50));
      break;
    case 5:
      f.mutable_describe_topic()->set_name(topic);
      break;
    case 6:
      f.mutable_list_topics();
      break;
    case 7:
      f.mutable_delete_topic()->set_name(topic);
      break;
    case 8:
      f.mutable_hello()->set_protocol_version(pick(3));
      break;
    default:
      f.mutable_ping();
  }
  return f;
}

// One frame's bytes, perhaps damaged.
std::string MaybeMutated(std::mt19937_64& random, std::string bytes) {
  switch (random() % 6) {
    case 0:  // flip some bits of the body
      for (int i = 0, n = 1 + random() % 4; i < n && bytes.size() > 4; ++i) {
        bytes[4 + random() % (bytes.size() - 4)] ^= 1 << (random() % 8);
      }
      break;
    case 1:  // a lying length
      proto::PutFrameLength(static_cast<uint32_t>(random() % 100000),
                            bytes.data());
      break;
    case 2:  // truncated
      bytes.resize(random() % (bytes.size() + 1));
      break;
    case 3: {  // pure noise
      bytes.resize(random() % 512);
      for (char& c : bytes) c = static_cast<char>(random());
      break;
    }
    default:  // intact
      break;
  }
  return bytes;
}

// One hostile connection: maybe a Hello, then a burst, then it reads a
// little and leaves (sometimes abruptly, mid-frame). Returns whether the
// burst reached the broker: connected (and welcomed, if it said Hello) and
// sent whole.
bool HostileSession(const std::string& address, std::mt19937_64& random) {
  RawConnection raw(address);
  if (!raw.ok()) return false;
  if (random() % 4 != 0 && !raw.Handshake().ok()) return false;
  std::string burst;
  for (int i = 0, n = 1 + random() % 30; i < n; ++i) {
    burst += MaybeMutated(random, proto::EncodeFrame(RandomFrame(random)));
  }
  if (!raw.SendBytes(burst).ok()) return false;
  for (int i = 0, n = random() % 5; i < n; ++i) {
    if (!raw.ReadFrame(absl::Milliseconds(20)).ok()) break;
  }
  return true;
}

TEST(HostileClientTest, RandomAndMutatedFramesHarmNobodyElse) {
  const absl::Duration run =
      absl::Seconds(EnvInt("CHORUS_HOSTILE_SECONDS", 15));
  const uint64_t seed = static_cast<uint64_t>(
      EnvInt("CHORUS_HOSTILE_SEED", absl::ToUnixNanos(absl::Now())));
  std::printf("hostile seed %llu\n", static_cast<unsigned long long>(seed));
  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker =
      BrokerProcess::Start({"--max-frame-bytes", "65536", "--frame-timeout",
                            "2s", "--handshake-timeout", "2s"});
  ASSERT_TRUE(broker.ok()) << broker.status();

  // The healthy pair.
  std::unique_ptr<Client> publisher = ConnectOrDie(**broker, "healthy-pub");
  std::unique_ptr<Client> subscriber = ConnectOrDie(**broker, "healthy-sub");
  ASSERT_TRUE(publisher && subscriber);
  Collector collector;
  std::atomic<int> subscriber_errors{0};
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  options.on_error = [&](absl::Status) { ++subscriber_errors; };
  auto sub = subscriber->Subscribe("good.stream", options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();

  PeakMemory memory(**broker);
  std::atomic<bool> stop{false};
  std::atomic<int> sessions{0};
  std::vector<std::thread> hostiles;
  for (int h = 0; h < 3; ++h) {
    hostiles.emplace_back([&, h] {
      std::mt19937_64 random(seed + h);
      while (!stop.load()) {
        if (HostileSession((*broker)->address(), random)) ++sessions;
      }
    });
  }
  int published = 0;
  absl::Status flushed;
  const absl::Time end = absl::Now() + run;
  while (flushed.ok() && absl::Now() < end) {
    for (int i = 0; i < 100; ++i, ++published) {
      publisher->Publish("good.stream", {.value = absl::StrCat("n", published)},
                         nullptr);
    }
    flushed = publisher->Flush();
  }
  stop = true;
  for (std::thread& t : hostiles) t.join();
  ASSERT_TRUE(flushed.ok()) << flushed << "\nbroker log:\n" << (*broker)->Log();

  ASSERT_TRUE(collector.WaitFor(published, absl::Seconds(60)));
  std::vector<Received> got = collector.Take();
  ASSERT_EQ(got.size(), static_cast<size_t>(published));
  for (int i = 0; i < published; ++i) {
    ASSERT_EQ(got[i].offset, static_cast<uint64_t>(i));
    ASSERT_EQ(got[i].value, absl::StrCat("n", i));
  }
  EXPECT_EQ(subscriber_errors.load(), 0);
  EXPECT_TRUE(publisher->Ping().ok());
  // A run with no hostile traffic proves nothing.
  EXPECT_GE(sessions.load(), 3 * absl::ToInt64Seconds(run));
  // Not checked under sanitizers (PeakMemory::GrewLessThan); the plain
  // test step checks it.
  EXPECT_TRUE(memory.GrewLessThan(128)) << "peak " << memory.peak();
  std::printf("%d hostile connections, %d healthy messages, RSS +%.1f MiB\n",
              sessions.load(), published, memory.GrowthMiB());
}

}  // namespace
}  // namespace chorus::testing
