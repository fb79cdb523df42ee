// Hostile and careless clients against the broker's limits (BrokerOptions):
// too many connections or subscriptions, publish floods, silent, idle and
// trickling connections, clients that vanish mid-frame or mid-delivery.
// Each test checks the clear error the client gets, that the broker's memory
// stays bounded (its VmRSS peak while the abuse runs; plain builds only),
// and that a healthy client is served throughout.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "proto/records.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

wire::Frame PublishFrame(uint64_t id, const std::string& topic,
                         const std::string& value) {
  wire::Frame frame;
  frame.set_correlation_id(id);
  frame.mutable_publish()->set_topic(topic);
  proto::AppendRecord("", value, {},
                      frame.mutable_publish()->mutable_records());
  return frame;
}

// Publishes through a fresh client and reads it back from a subscription.
void ExpectServes(const BrokerProcess& broker, const std::string& topic) {
  std::unique_ptr<Client> client = ConnectOrDie(broker, "healthy");
  ASSERT_NE(client, nullptr);
  Collector collector;
  auto sub = client->Subscribe(topic, {}, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<PublishResult> ack =
        client->PublishAndWait(topic, {.value = "ok" + std::to_string(i)});
    ASSERT_TRUE(ack.ok()) << ack.status();
  }
  ASSERT_TRUE(collector.WaitFor(20));
}

// Limits on counts and bytes; timeouts long enough not to interfere.
class LimitsTest : public BrokerTest {
 protected:
  static constexpr int kMaxConnections = 16;
  std::vector<std::string> BrokerFlags() override {
    return {"--max-connections",
            std::to_string(kMaxConnections),
            "--max-subscriptions-per-connection",
            "3",
            "--max-in-flight-publish-bytes",
            std::to_string(1 << 20),
            "--max-message-bytes",
            std::to_string(128 << 10)};
  }
};

TEST_F(LimitsTest, ConnectionsBeyondTheMaximumAreRefusedClearly) {
  // client_ holds one connection; fill the rest.
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 1; i < kMaxConnections; ++i) {
    held.push_back(std::make_unique<RawConnection>(broker_->address()));
    ASSERT_TRUE(held.back()->Handshake().ok()) << "connection " << i;
  }
  {
    PeakMemory memory(*broker_);
    RawConnection refused(broker_->address());
    ASSERT_TRUE(refused.ok());
    ExpectClosedWithError(refused, absl::StatusCode::kResourceExhausted,
                          "--max-connections");
    for (int i = 0; i < 300; ++i) {
      RawConnection again(broker_->address());
      absl::StatusOr<wire::Frame> error = again.ReadFrame(absl::Seconds(10));
      ASSERT_TRUE(error.ok()) << error.status();
      ASSERT_EQ(error->error().code(), wire::RESOURCE_EXHAUSTED);
    }
    // The real client reports the broker's reason.
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(broker_->address());
    EXPECT_FALSE(client.ok());
    EXPECT_THAT(std::string(client.status().message()),
                HasSubstr("--max-connections"));
    // Not checked under sanitizers (PeakMemory::GrewLessThan); the plain
    // test step checks it.
    EXPECT_TRUE(memory.GrewLessThan(32)) << "peak " << memory.peak();
  }
  // The connections held are all served; a freed slot is usable again.
  ASSERT_TRUE(client_->PublishAndWait("t.conn", {.value = "x"}).ok());
  wire::Frame ping;
  ping.set_correlation_id(5);
  ping.mutable_ping();
  for (auto& raw : held) {
    ASSERT_TRUE(raw->SendFrame(ping).ok());
    absl::StatusOr<wire::Frame> pong = raw->ReadFrame(absl::Seconds(10));
    ASSERT_TRUE(pong.ok() && pong->has_pong());
  }
  held.pop_back();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool admitted = false;
  while (!admitted && absl::Now() < deadline) {
    RawConnection again(broker_->address());
    admitted = again.Handshake().ok();
  }
  EXPECT_TRUE(admitted);
}

TEST_F(LimitsTest, SubscriptionsBeyondThePerConnectionLimitAreRefused) {
  std::vector<std::unique_ptr<Subscription>> subs;
  for (int i = 0; i < 3; ++i) {
    auto sub = client_->Subscribe("t.s" + std::to_string(i), {},
                                  [](const ReceivedMessage&) {});
    ASSERT_TRUE(sub.ok()) << sub.status();
    subs.push_back(*std::move(sub));
  }
  auto refused = client_->Subscribe("t.s3", {}, [](const ReceivedMessage&) {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("--max-subscriptions-per-connection"));
  // The limit is per connection: others subscribe, and a freed slot works.
  ExpectServes(*broker_, "t.s3");
  ASSERT_TRUE(subs.back()->Unsubscribe().ok());
  auto admitted = client_->Subscribe("t.s3", {}, [](const ReceivedMessage&) {});
  EXPECT_TRUE(admitted.ok()) << admitted.status();
}

TEST_F(LimitsTest, PublishFloodIsPushedBackNotBuffered) {
  // Two clients pour publishes in as fast as TCP takes them, reading no
  // acks until they are done: 2 x 96 MiB. The broker holds at most 1 MiB
  // of each in flight; what it holds beyond is RocksDB's memtables (2 x
  // 32 MiB), so its peak stays far below what was poured in.
  constexpr int kFlooders = 2;
  constexpr int kFramesEach = 1536;
  const std::string value(64 << 10, 'f');
  PeakMemory memory(*broker_);
  std::vector<std::thread> flooders;
  std::atomic<int> acked{0};
  for (int f = 0; f < kFlooders; ++f) {
    flooders.emplace_back([&, f] {
      RawConnection raw(broker_->address());
      ASSERT_TRUE(raw.Handshake().ok());
      std::string frames;
      for (int i = 0; i < kFramesEach; ++i) {
        frames += proto::EncodeFrame(
            PublishFrame(i + 2, "t.flood" + std::to_string(f), value));
        if (frames.size() >= (4 << 20)) {
          ASSERT_TRUE(raw.SendBytes(frames).ok());
          frames.clear();
        }
      }
      ASSERT_TRUE(raw.SendBytes(frames).ok());
      for (int i = 0; i < kFramesEach; ++i) {
        absl::StatusOr<wire::Frame> ack = raw.ReadFrame(absl::Seconds(60));
        ASSERT_TRUE(ack.ok()) << ack.status();
        ASSERT_TRUE(ack->has_publish_ack()) << ack->ShortDebugString();
        ++acked;
      }
    });
  }
  // Meanwhile a healthy client is served.
  ExpectServes(*broker_, "t.healthy");
  for (std::thread& t : flooders) t.join();
  EXPECT_EQ(acked.load(), kFlooders * kFramesEach);
  const double poured_mib = kFlooders * kFramesEach * 64.0 / 1024;
  // Not checked under sanitizers (PeakMemory::GrewLessThan); the plain
  // test step checks it.
  EXPECT_TRUE(memory.GrewLessThan(128))
      << "peak " << memory.peak() << " after " << poured_mib << " MiB";
  std::printf("flood of %.0f MiB: broker RSS rose %.1f MiB\n", poured_mib,
              memory.GrowthMiB());
}

// Short timeouts, so that tests see them fire.
class TimeoutsTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerFlags() override {
    return {"--handshake-timeout", "1s",    "--idle-timeout", "2s",
            "--frame-timeout",     "1500ms"};
  }
  void SetUp() override {
    BrokerTest::SetUp();
    client_ = Keeping();
  }
  // A client that pings while idle, as every client does by default (every
  // 30 s, against the default 5 min idle timeout).
  std::unique_ptr<Client> Keeping() {
    ClientOptions options;
    options.keepalive_interval = absl::Milliseconds(300);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(broker_->address(), options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
};

TEST_F(TimeoutsTest, ConnectionsThatNeverSayHelloAreClosed) {
  PeakMemory memory(*broker_);
  std::vector<std::unique_ptr<RawConnection>> silent;
  for (int i = 0; i < 200; ++i) {
    silent.push_back(std::make_unique<RawConnection>(broker_->address()));
    ASSERT_TRUE(silent.back()->ok());
  }
  ExpectServes(*broker_, "t.h");
  for (auto& raw : silent) {
    ExpectClosedWithError(*raw, absl::StatusCode::kDeadlineExceeded,
                          "no Hello");
    if (HasFatalFailure()) return;
  }
  // Not checked under sanitizers (PeakMemory::GrewLessThan); the plain
  // test step checks it.
  EXPECT_TRUE(memory.GrewLessThan(32)) << "peak " << memory.peak();
  ExpectServes(*broker_, "t.h");
}

TEST_F(TimeoutsTest, IdleConnectionsAreClosedAndPingingClientsStay) {
  RawConnection idle(broker_->address());
  ASSERT_TRUE(idle.Handshake().ok());
  // A client that does not ping is closed too; it reconnects by itself
  // (and its subscription resumes rather than failing).
  ClientOptions quiet_options;
  quiet_options.keepalive_interval = absl::ZeroDuration();
  std::atomic<int> quiet_losses{0};
  quiet_options.on_disconnect = [&](absl::Status status) {
    EXPECT_THAT(std::string(status.message()), HasSubstr("--idle-timeout"));
    ++quiet_losses;
  };
  absl::StatusOr<std::unique_ptr<Client>> quiet =
      Client::Connect(broker_->address(), quiet_options);
  ASSERT_TRUE(quiet.ok());
  std::atomic<int> quiet_errors{0};
  SubscribeOptions options;
  options.on_error = [&](absl::Status) { ++quiet_errors; };
  auto quiet_sub =
      (*quiet)->Subscribe("t.idle", options, [](const ReceivedMessage&) {});
  ASSERT_TRUE(quiet_sub.ok());
  Collector kept;
  std::atomic<int> kept_errors{0};
  SubscribeOptions kept_options;
  kept_options.on_error = [&](absl::Status) { ++kept_errors; };
  auto kept_sub = client_->Subscribe("t.idle", kept_options, kept.Handler());
  ASSERT_TRUE(kept_sub.ok());

  ExpectClosedWithError(idle, absl::StatusCode::kDeadlineExceeded,
                        "--idle-timeout");
  // The quiet client is closed in turn; it reconnects by itself and its
  // subscription resumes rather than failing.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (quiet_losses.load() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(quiet_losses.load(), 1);
  EXPECT_EQ(quiet_errors.load(), 0);
  // A silent connection opened only now is closed another idle timeout
  // later: by then the pinging client has sent no request for about twice
  // the idle timeout, and it still works.
  RawConnection witness(broker_->address());
  ASSERT_TRUE(witness.Handshake().ok());
  ExpectClosedWithError(witness, absl::StatusCode::kDeadlineExceeded,
                        "--idle-timeout");
  EXPECT_EQ(kept_errors.load(), 0);
  ASSERT_TRUE(client_->PublishAndWait("t.idle", {.value = "still here"}).ok());
  ASSERT_TRUE(kept.WaitFor(1));
  EXPECT_EQ(kept.Take()[0].value, "still here");
}

TEST_F(TimeoutsTest, FrameTrickledOneByteASecondIsClosed) {
  RawConnection loris(broker_->address());
  ASSERT_TRUE(loris.Handshake().ok());
  const std::string frame =
      proto::EncodeFrame(PublishFrame(2, "t.loris", std::string(100, 'l')));
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (size_t i = 0; i < frame.size() && !stop; ++i) {
      if (!loris.SendBytes(frame.substr(i, 1)).ok()) return;
      absl::SleepFor(absl::Seconds(1));
    }
  });
  ExpectServes(*broker_, "t.fine");
  // Bytes keep coming (so it is not idle), but the frame never completes.
  ExpectClosedWithError(loris, absl::StatusCode::kDeadlineExceeded,
                        "--frame-timeout");
  stop = true;
  trickle.join();
  ExpectServes(*broker_, "t.fine");
}

TEST_F(TimeoutsTest, ClientsVanishingMidFrameOrMidDeliveryCostNothing) {
  // A backlog that takes many Deliver frames to send.
  const std::string value(8 << 10, 'b');
  for (int i = 0; i < 1000; ++i) {
    client_->Publish("t.backlog", {.value = value}, nullptr);
  }
  ASSERT_TRUE(client_->Flush().ok());
  PeakMemory memory(*broker_);
  for (int i = 0; i < 200; ++i) {
    RawConnection raw(broker_->address());
    ASSERT_TRUE(raw.Handshake().ok());
    const std::string half =
        proto::EncodeFrame(PublishFrame(2, "t.backlog", value));
    ASSERT_TRUE(raw.SendBytes(half.substr(0, half.size() / 2)).ok());
  }
  for (int i = 0; i < 30; ++i) {
    RawConnection raw(broker_->address());
    ASSERT_TRUE(raw.Handshake().ok());
    wire::Frame subscribe;
    subscribe.set_correlation_id(2);
    subscribe.mutable_subscribe()->set_subscription_id(1);
    subscribe.mutable_subscribe()->set_filter("t.backlog");
    subscribe.mutable_subscribe()->mutable_start()->set_kind(
        wire::StartPosition::EARLIEST);
    subscribe.mutable_subscribe()->set_credit_messages(1 << 30);
    subscribe.mutable_subscribe()->set_credit_bytes(uint64_t{1} << 40);
    ASSERT_TRUE(raw.SendFrame(subscribe).ok());
    bool delivering = false;
    while (!delivering) {
      absl::StatusOr<wire::Frame> frame = raw.ReadFrame(absl::Seconds(10));
      ASSERT_TRUE(frame.ok()) << frame.status();
      delivering = frame->has_deliver();
    }
  }  // each closes with deliveries under way
  ExpectServes(*broker_, "t.after");
  // Not checked under sanitizers (PeakMemory::GrewLessThan); the plain
  // test step checks it.
  EXPECT_TRUE(memory.GrewLessThan(64)) << "peak " << memory.peak();
  EXPECT_THAT(broker_->Log(), ::testing::Not(HasSubstr("ERROR")));
}

}  // namespace
}  // namespace chorus::testing
