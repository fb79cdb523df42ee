// chorus::Client against a scripted FakeBroker: handshake, placement,
// batching and acks, subscriptions and credit, admin calls, timeouts,
// reconnects after a lost connection (publishes sent again, subscriptions
// resumed) and Close. The broker's side of the protocol is tested with the real
// broker in tests/integration.
#include "client/client.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "client/subscriptions.h"
#include "common/partitioner.h"
#include "common/sync.h"
#include "gtest/gtest.h"
#include "proto/records.h"
#include "proto/wire_status.h"
#include "tests/client/fake_broker.h"

namespace chorus {
namespace {

using testing::FakeBroker;

// A message; designated initializers would trip -Wmissing-field-initializers.
Message Msg(std::string value, std::string key = "") {
  Message message;
  message.key = std::move(key);
  message.value = std::move(value);
  return message;
}

// Counts the records of a Publish.
size_t RecordCount(const wire::Publish& publish) {
  proto::RecordReader reader(publish.records());
  proto::RecordView record;
  size_t n = 0;
  while (reader.Next(&record)) ++n;
  return n;
}

// Acknowledges every Publish into partition 0, offsets from `*next_offset`.
void AckPublishes(FakeBroker& broker, uint64_t first_offset = 0) {
  auto next = std::make_shared<uint64_t>(first_offset);
  broker.OnFrame([&broker, next](const wire::Frame& frame) {
    if (!frame.has_publish()) return;
    const size_t n = RecordCount(frame.publish());
    broker.Reply(frame, [&](wire::Frame* reply) {
      wire::PartitionRange* range = reply->mutable_publish_ack()->add_ranges();
      range->set_partition(0);
      range->set_first_offset(*next);
      range->set_count(static_cast<uint32_t>(n));
    });
    *next += n;
  });
}

std::unique_ptr<Client> ConnectOrDie(const FakeBroker& broker,
                                     ClientOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(broker.address(), options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? std::move(*client) : nullptr;
}

// Collects callback results.
struct Results {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<absl::StatusOr<PublishResult>> results ABSL_GUARDED_BY(mu);

  Client::PublishCallback Callback() {
    return [this](absl::StatusOr<PublishResult> r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
      changed.notify_all();
    };
  }
  std::vector<absl::StatusOr<PublishResult>> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    chorus::WaitFor(changed, lock, absl::Seconds(10),
                    [&] { return results.size() >= n; });
    return results;
  }
};

TEST(ClientConnectTest, SendsHelloWithNameTokenAndVersion) {
  FakeBroker broker;
  broker.OnFrame([&](const wire::Frame& frame) {
    if (frame.has_ping())
      broker.Reply(frame, [](wire::Frame* r) { r->mutable_pong(); });
  });
  ClientOptions options;
  options.client_name = "tester";
  options.auth_token = "secret";
  auto client = ConnectOrDie(broker, options);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(broker.hello().protocol_version(), proto::kProtocolVersion);
  EXPECT_EQ(broker.hello().client_name(), "tester");
  EXPECT_EQ(broker.hello().auth_token(), "secret");
  EXPECT_TRUE(client->Ping().ok());
}

TEST(ClientConnectTest, RefusedConnectionIsUnavailableAndNamesTheServer) {
  std::string address;
  {
    FakeBroker gone;  // a port that was free a moment ago
    address = gone.address();
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.status().message(),
            "connect " + address + ": Connection refused");
}

TEST(ClientConnectTest, MalformedAddressIsInvalidArgument) {
  for (const char* bad : {"localhost", ":7400", "host:", "host:0", "host:x",
                          "host:70000", "::1:7400", "[::1"}) {
    EXPECT_EQ(Client::Connect(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ClientConnectTest, BrokerRefusalKeepsItsCode) {
  FakeBroker::Options options;
  options.refuse_hello = absl::UnauthenticatedError("bad token");
  FakeBroker broker(options);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(broker.address());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(client.status().message().find("bad token"),
            absl::string_view::npos);
}

TEST(ClientConnectTest, SilentBrokerTimesOut) {
  FakeBroker::Options options;
  options.answer_hello = false;
  FakeBroker broker(options);
  ClientOptions client_options;
  client_options.connect_timeout = absl::Milliseconds(200);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(broker.address(), client_options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(ClientPublishTest, BatchesWithinLingerAndComputesOffsets) {
  FakeBroker broker;
  AckPublishes(broker, 100);
  ClientOptions options;
  options.linger = absl::Seconds(10);  // only Flush sends
  auto client = ConnectOrDie(broker, options);
  Results results;
  for (int i = 0; i < 5; ++i) {
    client->Publish("acme.x", Msg("v" + std::to_string(i), "k"),
                    results.Callback());
  }
  ASSERT_TRUE(client->Flush().ok());
  auto done = results.WaitFor(5);
  ASSERT_EQ(done.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(done[i].ok()) << done[i].status();
    EXPECT_EQ(done[i]->offset, 100u + i);
  }
  std::vector<wire::Frame> frames = broker.WaitForFrames(1);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].publish().topic(), "acme.x");
  proto::RecordReader reader(frames[0].publish().records());
  proto::RecordView record;
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.key, "k");
  EXPECT_EQ(record.value, "v0");
}

TEST(ClientPublishTest, LingerSendsWithoutFlushAndTopicsBatchSeparately) {
  FakeBroker broker;
  AckPublishes(broker);
  auto client = ConnectOrDie(broker);  // linger 1 ms
  auto a = client->Publish("a", Msg("1"));
  auto b = client->Publish("b", Msg("2"));
  ASSERT_TRUE(a.get().ok());
  ASSERT_TRUE(b.get().ok());
  std::vector<wire::Frame> frames = broker.WaitForFrames(2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_NE(frames[0].publish().topic(), frames[1].publish().topic());
}

TEST(ClientPublishTest, FullBatchIsSentAtOnce) {
  FakeBroker broker;
  AckPublishes(broker);
  ClientOptions options;
  options.linger = absl::Hours(1);
  options.batch_max_bytes = 100;
  auto client = ConnectOrDie(broker, options);
  auto stored = client->Publish("t", Msg(std::string(200, 'x')));
  ASSERT_EQ(stored.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_TRUE(stored.get().ok());
}

TEST(ClientPublishTest, PublishAndWaitReturnsWhereItWasStored) {
  FakeBroker broker;
  AckPublishes(broker, 7);
  auto client = ConnectOrDie(broker);
  absl::StatusOr<PublishResult> stored = client->PublishAndWait("t", Msg("x"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->offset, 7u);
}

TEST(ClientPublishTest, BrokerErrorReachesEveryMessageOfTheBatch) {
  FakeBroker broker;
  broker.OnFrame([&](const wire::Frame& frame) {
    broker.ReplyError(frame, absl::InvalidArgumentError("bad topic"));
  });
  ClientOptions options;
  options.linger = absl::Seconds(10);
  auto client = ConnectOrDie(broker, options);
  Results results;
  client->Publish("bad..topic", Msg("1"), results.Callback());
  client->Publish("bad..topic", Msg("2"), results.Callback());
  absl::Status flushed = client->Flush();
  EXPECT_EQ(flushed.code(), absl::StatusCode::kInvalidArgument);
  for (const auto& r : results.WaitFor(2)) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "bad topic");
  }
}

TEST(ClientPublishTest, MessageLargerThanAFrameFailsAtOnce) {
  FakeBroker::Options broker_options;
  broker_options.max_frame_bytes = 4096;
  FakeBroker broker(broker_options);
  AckPublishes(broker);
  auto client = ConnectOrDie(broker);
  Results results;
  client->Publish("t", Msg(std::string(5000, 'x')), results.Callback());
  auto done = results.WaitFor(1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status().code(), absl::StatusCode::kInvalidArgument);
  // Smaller messages that add up past a frame go in several batches.
  for (int i = 0; i < 3; ++i) {
    client->Publish("t", Msg(std::string(2000, 'y')), results.Callback());
  }
  EXPECT_TRUE(client->Flush().ok());
  done = results.WaitFor(4);
  ASSERT_EQ(done.size(), 4u);
  for (size_t i = 1; i < done.size(); ++i) {
    EXPECT_TRUE(done[i].ok()) << done[i].status();
  }
  size_t records = 0;
  for (const wire::Frame& frame : broker.WaitForFrames(3)) {
    EXPECT_LE(frame.ByteSizeLong(), 4096u);
    records += RecordCount(frame.publish());
  }
  EXPECT_EQ(records, 3u);
}

TEST(ClientPublishTest, MessageOverTheBrokersLimitFailsAloneAtOnce) {
  FakeBroker::Options broker_options;
  broker_options.max_message_bytes = 100;
  FakeBroker broker(broker_options);
  AckPublishes(broker);
  ClientOptions options;
  options.linger = absl::Seconds(10);  // both would share one batch
  auto client = ConnectOrDie(broker, options);
  Results results;
  client->Publish("t", Msg("small"), results.Callback());
  client->Publish("t", Msg(std::string(101, 'x')), results.Callback());
  EXPECT_TRUE(client->Flush().ok());
  auto done = results.WaitFor(2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(done[1].ok()) << done[1].status();
  EXPECT_EQ(RecordCount(broker.WaitForFrames(1).at(0).publish()), 1u);
}

TEST(ClientPublishTest, BackPressureBlocksUntilAcknowledged) {
  FakeBroker broker;
  std::mutex mu;
  std::condition_variable changed;
  std::vector<wire::Frame> held;  // the first publish, not yet acknowledged
  bool first_acked = false;
  // For each later publish: whether the first was acknowledged before it
  // reached the broker.
  std::vector<bool> after_first_ack;
  broker.OnFrame([&](const wire::Frame& frame) {
    std::lock_guard<std::mutex> lock(mu);
    if (held.empty()) {
      held.push_back(frame);
      changed.notify_all();
      return;
    }
    after_first_ack.push_back(first_acked);
    broker.Reply(frame, [&](wire::Frame* r) {
      r->mutable_publish_ack()->add_ranges()->set_count(
          static_cast<uint32_t>(RecordCount(frame.publish())));
    });
  });
  ClientOptions options;
  options.linger = absl::ZeroDuration();
  options.max_in_flight_bytes = 100;
  auto client = ConnectOrDie(broker, options);
  client->Publish("t", Msg(std::string(150, 'a')), nullptr);
  Notification calling_second;
  Notification second_returned;
  std::thread second([&] {
    calling_second.Notify();
    client->Publish("t", Msg("b"), nullptr);
    second_returned.Notify();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(WaitFor(changed, lock, absl::Seconds(10),
                        [&] { return !held.empty(); }));
  }
  calling_second.WaitForNotification();
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_FALSE(second_returned.HasBeenNotified());
    first_acked = true;
    broker.Reply(held.at(0), [](wire::Frame* r) {
      r->mutable_publish_ack()->add_ranges()->set_count(1);
    });
  }
  second.join();
  EXPECT_TRUE(client->Flush().ok());
  // With linger zero an unblocked Publish sends at once: the second one
  // went out only once the first was acknowledged.
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(after_first_ack, std::vector<bool>{true});
}

TEST(ClientPublishTest, BackPressureGivesUpAfterRequestTimeout) {
  FakeBroker broker;  // never acknowledges
  ClientOptions options;
  options.linger = absl::ZeroDuration();
  options.max_in_flight_bytes = 100;
  options.request_timeout = absl::Milliseconds(200);
  auto client = ConnectOrDie(broker, options);
  client->Publish("t", Msg(std::string(150, 'a')), nullptr);
  absl::StatusOr<PublishResult> blocked = client->Publish("t", Msg("b")).get();
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kDeadlineExceeded)
      << blocked.status();
}

// Fast reconnects, so that these tests take milliseconds.
ClientOptions QuickReconnects() {
  ClientOptions options;
  options.reconnect_backoff_initial = absl::Milliseconds(10);
  options.reconnect_backoff_max = absl::Milliseconds(50);
  return options;
}

// A broker that leaves the first connection's publishes unanswered and
// acknowledges them on the next one: the client must send the same batch
// again, under the same producer id and sequence, and fail nothing.
TEST(ClientReconnectTest,
     PublishesInFlightAreSentAgainAfterTheConnectionIsLost) {
  FakeBroker broker;
  std::atomic<int> seen{0};
  broker.OnFrame([&](const wire::Frame& frame) {
    if (!frame.has_publish() || seen++ == 0) return;
    broker.Reply(frame, [&](wire::Frame* r) {
      wire::PartitionRange* range = r->mutable_publish_ack()->add_ranges();
      range->set_first_offset(40);
      range->set_count(static_cast<uint32_t>(RecordCount(frame.publish())));
    });
  });
  ClientOptions options = QuickReconnects();
  options.linger = absl::ZeroDuration();
  Notification disconnected, reconnected;
  absl::Status why;
  options.on_disconnect = [&](absl::Status status) {
    why = status;
    disconnected.Notify();
  };
  options.on_reconnect = [&] { reconnected.Notify(); };
  auto client = ConnectOrDie(broker, options);
  Results results;
  client->Publish("t", Msg("1"), results.Callback());
  broker.WaitForFrames(1);
  broker.Disconnect();
  ASSERT_TRUE(disconnected.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(why.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(why.message().find("connection to " + broker.address() + " lost"),
            absl::string_view::npos)
      << why;
  ASSERT_TRUE(reconnected.WaitForNotificationWithTimeout(absl::Seconds(10)));
  auto done = results.WaitFor(1);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_TRUE(done[0].ok()) << done[0].status();
  EXPECT_EQ(done[0]->offset, 40u);
  std::vector<wire::Frame> frames = broker.WaitForFrames(2);
  ASSERT_EQ(frames.size(), 2u);
  const wire::Publish& first = frames[0].publish();
  const wire::Publish& again = frames[1].publish();
  EXPECT_NE(first.producer_id(), 0u);
  EXPECT_TRUE(first.has_partition());
  EXPECT_EQ(again.producer_id(), first.producer_id());
  EXPECT_EQ(again.sequence(), first.sequence());
  EXPECT_EQ(again.records(), first.records());
  EXPECT_EQ(broker.hello().watch_metadata(), true);
}

TEST(ClientReconnectTest, CallsInFlightFailAndLaterOnesWaitForTheReconnect) {
  FakeBroker broker;
  std::atomic<int> pings{0};
  broker.OnFrame([&](const wire::Frame& frame) {
    if (!frame.has_ping()) return;
    if (pings++ == 0) {
      broker.Disconnect();  // the first one is lost with its connection
      return;
    }
    broker.Reply(frame, [](wire::Frame* r) { r->mutable_pong(); });
  });
  auto client = ConnectOrDie(broker, QuickReconnects());
  const absl::Status lost = client->Ping();
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  EXPECT_TRUE(client->Ping().ok());
  EXPECT_TRUE(broker.WaitForConnections(2));
}

TEST(ClientReconnectTest, ConnectionLevelErrorFailsCallsInFlightWithItsCode) {
  FakeBroker broker;
  std::atomic<int> pings{0};
  broker.OnFrame([&](const wire::Frame& frame) {
    if (!frame.has_ping()) return;
    if (pings++ > 0) {
      broker.Reply(frame, [](wire::Frame* r) { r->mutable_pong(); });
      return;
    }
    wire::Frame error;
    proto::StatusToWire(absl::ResourceExhaustedError("frame too large"),
                        error.mutable_error());
    broker.Send(error);
    broker.Disconnect();
  });
  ClientOptions options = QuickReconnects();
  Notification disconnected;
  absl::Status why;
  options.on_disconnect = [&](absl::Status status) {
    why = status;
    disconnected.Notify();
  };
  auto client = ConnectOrDie(broker, options);
  const absl::Status refused = client->Ping();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("frame too large"), absl::string_view::npos);
  ASSERT_TRUE(disconnected.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(why.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(client->Ping().ok());  // on the next connection
}

TEST(ClientReconnectTest, AServerListIsTriedInOrder) {
  std::string gone;
  {
    FakeBroker closed;  // a port that was free a moment ago
    gone = closed.address();
  }
  FakeBroker broker;
  broker.OnFrame([&](const wire::Frame& frame) {
    if (frame.has_ping()) {
      broker.Reply(frame, [](wire::Frame* r) { r->mutable_pong(); });
    }
  });
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(gone + "," + broker.address());
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->Ping().ok());
  absl::StatusOr<std::unique_ptr<Client>> none =
      Client::Connect(gone + ", " + gone);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(none.status().message(), "connect " + gone +
                                         ": Connection refused; connect " +
                                         gone + ": Connection refused");
  EXPECT_EQ(Client::Connect(broker.address() + ",").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClientPlacementTest, KeysHashToPartitionsAndKeylessBatchesTakeTurns) {
  FakeBroker::Options broker_options;
  broker_options.partitions = 4;
  FakeBroker broker(broker_options);
  AckPublishes(broker);
  ClientOptions options;
  options.linger = absl::ZeroDuration();  // one batch per message
  auto client = ConnectOrDie(broker, options);
  for (const char* key : {"eu-1", "us-2", "eu-1"}) {
    ASSERT_TRUE(client->PublishAndWait("t", Msg("v", key)).ok());
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(client->PublishAndWait("t", Msg("nokey")).ok());
  }
  std::vector<wire::Frame> frames = broker.WaitForFrames(7);
  ASSERT_EQ(frames.size(), 7u);
  EXPECT_EQ(frames[0].publish().partition(), PartitionForKey("eu-1", 4));
  EXPECT_EQ(frames[1].publish().partition(), PartitionForKey("us-2", 4));
  EXPECT_EQ(frames[2].publish().partition(), PartitionForKey("eu-1", 4));
  std::set<uint32_t> keyless;
  for (size_t i = 3; i < 7; ++i)
    keyless.insert(frames[i].publish().partition());
  EXPECT_EQ(keyless.size(), 4u);  // one batch each, in turn
  // Sequences count records per partition.
  EXPECT_EQ(frames[0].publish().sequence(), 0u);
  EXPECT_EQ(frames[2].publish().sequence(), 1u);
  EXPECT_EQ(frames[2].publish().producer_id(),
            frames[0].publish().producer_id());
}

TEST(ClientAdminTest, TopicCallsRoundTrip) {
  FakeBroker broker;
  broker.OnFrame([&](const wire::Frame& frame) {
    if (frame.has_create_topic()) {
      broker.Reply(frame, [&](wire::Frame* r) {
        wire::TopicInfo* info = r->mutable_topic_info();
        info->set_name(frame.create_topic().name());
        *info->mutable_config() = frame.create_topic().config();
        wire::PartitionInfo* p = info->add_partitions();
        p->set_partition(0);
        p->set_next_offset(5);
        p->set_bytes(99);
      });
    } else if (frame.has_describe_topic()) {
      broker.ReplyError(frame, absl::NotFoundError("no such topic"));
    } else if (frame.has_list_topics()) {
      broker.Reply(frame, [](wire::Frame* r) {
        r->mutable_topic_list()->add_topics()->set_name("a");
        r->mutable_topic_list()->add_topics()->set_name("b");
      });
    } else if (frame.has_delete_topic()) {
      broker.Reply(frame, [](wire::Frame* r) { r->mutable_ok(); });
    }
  });
  auto client = ConnectOrDie(broker);
  TopicConfig config;
  config.partitions = 3;
  config.retention_age = absl::Hours(2);
  config.retention_messages = 10;
  absl::StatusOr<TopicInfo> created = client->CreateTopic("acme.x", config);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "acme.x");
  EXPECT_EQ(created->config.partitions, 3u);
  EXPECT_EQ(created->config.retention_age, absl::Hours(2));
  EXPECT_EQ(created->config.retention_messages, 10u);
  ASSERT_EQ(created->partitions.size(), 1u);
  EXPECT_EQ(created->partitions[0].next_offset, 5u);
  EXPECT_EQ(created->partitions[0].bytes, 99u);

  EXPECT_EQ(client->DescribeTopic("x").status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<TopicInfo>> topics = client->ListTopics();
  ASSERT_TRUE(topics.ok());
  ASSERT_EQ(topics->size(), 2u);
  EXPECT_EQ((*topics)[1].name, "b");
  EXPECT_TRUE(client->DeleteTopic("acme.x").ok());
}

TEST(ClientAdminTest, UnansweredRequestTimesOut) {
  FakeBroker broker;  // answers nothing after Hello
  ClientOptions options;
  options.request_timeout = absl::Milliseconds(200);
  auto client = ConnectOrDie(broker, options);
  EXPECT_EQ(client->Ping().code(), absl::StatusCode::kDeadlineExceeded);
}

// A broker that accepts subscriptions; the test pushes deliveries.
class ClientSubscribeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.OnFrame([this](const wire::Frame& frame) {
      if (frame.has_subscribe()) {
        if (frame.subscribe().filter() == "bad..filter") {
          broker_.ReplyError(frame, absl::InvalidArgumentError("bad filter"));
          return;
        }
        broker_.Reply(frame, [&](wire::Frame* r) {
          r->mutable_subscribe_ack()->set_subscription_id(
              frame.subscribe().subscription_id());
        });
      } else if (frame.has_unsubscribe()) {
        broker_.Reply(frame, [](wire::Frame* r) { r->mutable_ok(); });
      } else if (frame.has_ping()) {
        broker_.Reply(frame, [](wire::Frame* r) { r->mutable_pong(); });
      }
    });
    client_ = ConnectOrDie(broker_, QuickReconnects());
  }

  // Waits for the `n`th Subscribe the broker got and returns it.
  wire::Subscribe NthSubscribe(size_t n) {
    std::vector<wire::Subscribe> subscribes;
    for (size_t frames = 1; frames < 100 && subscribes.size() < n; ++frames) {
      subscribes.clear();
      for (const wire::Frame& frame : broker_.WaitForFrames(frames)) {
        if (frame.has_subscribe()) subscribes.push_back(frame.subscribe());
      }
    }
    EXPECT_GE(subscribes.size(), n);
    return subscribes.size() >= n ? subscribes[n - 1] : wire::Subscribe();
  }

  // Pushes a Deliver of `values` at `base_offset`; returns what it costs
  // against credit.
  uint64_t Deliver(uint64_t subscription_id, uint64_t base_offset,
                   const std::vector<std::string>& values) {
    wire::Frame frame;
    wire::Deliver* d = frame.mutable_deliver();
    d->set_subscription_id(subscription_id);
    d->set_topic("acme.x");
    d->set_partition(1);
    d->set_base_offset(base_offset);
    d->set_timestamp_ms(1234);
    d->set_publisher("pub-1");
    d->set_count(static_cast<uint32_t>(values.size()));
    std::string records;
    for (const std::string& v : values) {
      proto::AppendRecord("key-" + v, v, {{"h", "v-" + v}}, &records);
    }
    d->set_records(records);
    const uint64_t cost = client_internal::DeliveryCreditBytes(*d);
    broker_.Send(frame);
    return cost;
  }

  FakeBroker broker_;
  std::unique_ptr<Client> client_;
};

struct Received {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> lines ABSL_GUARDED_BY(mu);

  Client::MessageHandler Handler() {
    return [this](const ReceivedMessage& m) {
      std::ostringstream line;
      line << m.topic << "/" << m.partition << "@" << m.offset
           << " t=" << m.timestamp_ms << " " << m.publisher << " " << m.key
           << "=" << m.value;
      for (const auto& [name, value] : m.headers) {
        line << " " << name << ":" << value;
      }
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(line.str());
      changed.notify_all();
    };
  }
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    chorus::WaitFor(changed, lock, absl::Seconds(10),
                    [&] { return lines.size() >= n; });
    return lines;
  }
};

TEST_F(ClientSubscribeTest, DeliversMessagesAndGrantsCreditBack) {
  Received received;
  SubscribeOptions options;
  options.start = StartPosition::Last(3);
  options.credit_messages = 4;
  options.credit_bytes = 1 << 20;
  auto sub = client_->Subscribe("acme.>", options, received.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  std::vector<wire::Frame> frames = broker_.WaitForFrames(1);
  const wire::Subscribe subscribe = frames[0].subscribe();
  EXPECT_EQ(subscribe.filter(), "acme.>");
  EXPECT_EQ(subscribe.start().kind(), wire::StartPosition::LAST);
  EXPECT_EQ(subscribe.start().value(), 3);
  EXPECT_EQ(subscribe.credit_messages(), 4u);

  uint64_t cost = Deliver(subscribe.subscription_id(), 10, {"a"});  // 1 of 4
  cost += Deliver(subscribe.subscription_id(), 11, {"b", "c"});     // 3: grant
  EXPECT_EQ(
      received.WaitFor(3),
      (std::vector<std::string>{"acme.x/1@10 t=1234 pub-1 key-a=a h:v-a",
                                "acme.x/1@11 t=1234 pub-1 key-b=b h:v-b",
                                "acme.x/1@12 t=1234 pub-1 key-c=c h:v-c"}));
  frames = broker_.WaitForFrames(2);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_TRUE(frames[1].has_credit());
  EXPECT_EQ(frames[1].credit().subscription_id(), subscribe.subscription_id());
  EXPECT_EQ(frames[1].credit().messages(), 3u);
  EXPECT_EQ(frames[1].credit().bytes(), cost);
}

TEST_F(ClientSubscribeTest, UnsubscribeStopsDeliveriesAndTellsTheBroker) {
  Received received;
  auto sub = client_->Subscribe("acme.>", {}, received.Handler());
  ASSERT_TRUE(sub.ok());
  const uint64_t id = broker_.WaitForFrames(1)[0].subscribe().subscription_id();
  Deliver(id, 0, {"a"});
  received.WaitFor(1);
  ASSERT_TRUE((*sub)->Unsubscribe().ok());
  std::vector<wire::Frame> frames = broker_.WaitForFrames(2);
  ASSERT_TRUE(frames[1].has_unsubscribe());
  EXPECT_EQ(frames[1].unsubscribe().subscription_id(), id);
  Deliver(id, 1, {"late"});
  // The Pong comes after the late delivery, so this orders it first.
  ASSERT_TRUE(client_->Ping().ok());
  EXPECT_EQ(received.WaitFor(1).size(), 1u);
  EXPECT_TRUE((*sub)->Unsubscribe().ok());  // idempotent
}

TEST_F(ClientSubscribeTest, RefusedSubscribeReturnsTheErrorWithoutOnError) {
  std::atomic<int> errors{0};
  SubscribeOptions options;
  options.on_error = [&](absl::Status) { ++errors; };
  auto sub = client_->Subscribe("bad..filter", options, [](const auto&) {});
  EXPECT_EQ(sub.status().code(), absl::StatusCode::kInvalidArgument);
  broker_.Disconnect();
  ASSERT_TRUE(broker_.WaitForConnections(2));
  EXPECT_TRUE(client_->Ping().ok());  // on the new connection
  EXPECT_EQ(errors.load(), 0);
  // Only established subscriptions are resumed: the Ping is the next frame.
  std::vector<wire::Frame> frames = broker_.WaitForFrames(2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[1].has_ping());
}

// A lost connection does not end the subscription: it is sent again under
// its id, resuming at the next offset it has not delivered, with its whole
// credit.
TEST_F(ClientSubscribeTest, ALostConnectionResumesInsteadOfCallingOnError) {
  std::atomic<int> errors{0};
  Received received;
  SubscribeOptions options;
  options.start = StartPosition::Latest();
  options.on_error = [&](absl::Status) { ++errors; };
  auto sub = client_->Subscribe("acme.>", options, received.Handler());
  ASSERT_TRUE(sub.ok());
  const wire::Subscribe first = broker_.WaitForFrames(1)[0].subscribe();
  Deliver(first.subscription_id(), 10, {"a", "b"});
  ASSERT_EQ(received.WaitFor(2).size(), 2u);
  broker_.Disconnect();
  const wire::Subscribe again = NthSubscribe(2);
  EXPECT_EQ(again.subscription_id(), first.subscription_id());
  EXPECT_EQ(again.filter(), "acme.>");
  EXPECT_EQ(again.credit_messages(), first.credit_messages());
  // Topics it had not heard of yet were created since: from their start.
  EXPECT_EQ(again.start().kind(), wire::StartPosition::EARLIEST);
  ASSERT_EQ(again.resume_size(), 1);
  EXPECT_EQ(again.resume(0).topic(), "acme.x");
  EXPECT_EQ(again.resume(0).partition(), 1u);
  EXPECT_EQ(again.resume(0).offset(), 12u);
  Deliver(first.subscription_id(), 12, {"c"});
  ASSERT_TRUE(client_->Ping().ok());  // the Pong follows the delivery
  EXPECT_EQ(
      received.WaitFor(3),
      (std::vector<std::string>{"acme.x/1@10 t=1234 pub-1 key-a=a h:v-a",
                                "acme.x/1@11 t=1234 pub-1 key-b=b h:v-b",
                                "acme.x/1@12 t=1234 pub-1 key-c=c h:v-c"}));
  EXPECT_EQ(errors.load(), 0);
}

TEST_F(ClientSubscribeTest, ASubscriptionTheBrokerEndsCallsOnErrorOnce) {
  Notification failed;
  absl::Status error;
  SubscribeOptions options;
  options.on_error = [&](absl::Status status) {
    error = status;
    failed.Notify();
  };
  Received received;
  auto sub = client_->Subscribe("acme.>", options, received.Handler());
  ASSERT_TRUE(sub.ok());
  const uint64_t id = broker_.WaitForFrames(1)[0].subscribe().subscription_id();
  wire::Frame ended;
  ended.mutable_subscription_ended()->set_subscription_id(id);
  proto::StatusToWire(absl::DataLossError("damaged at offset 4"),
                      ended.mutable_subscription_ended()->mutable_status());
  broker_.Send(ended);
  ASSERT_TRUE(failed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(error.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(error.message(), "damaged at offset 4");
  Deliver(id, 0, {"late"});
  ASSERT_TRUE(client_->Ping().ok());
  EXPECT_TRUE(received.WaitFor(0).empty());
  EXPECT_TRUE((*sub)->Unsubscribe().ok());
}

TEST_F(ClientSubscribeTest, CloseEndsSubscriptionsWithoutOnError) {
  std::atomic<int> errors{0};
  SubscribeOptions options;
  options.on_error = [&](absl::Status) { ++errors; };
  auto sub = client_->Subscribe("acme.>", options, [](const auto&) {});
  ASSERT_TRUE(sub.ok());
  client_->Close();
  client_->Close();  // idempotent
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE((*sub)->Unsubscribe().ok());
  client_.reset();  // the subscription may outlive its client
  EXPECT_TRUE((*sub)->Unsubscribe().ok());
}

TEST_F(ClientSubscribeTest, WaitingCallsFromAHandlerFailInsteadOfDeadlocking) {
  Notification done;
  absl::Status publish_status, ping_status, unsubscribe_status;
  std::unique_ptr<Subscription>* self = nullptr;
  absl::StatusOr<std::unique_ptr<Subscription>> sub;
  Notification subscribed;
  sub = client_->Subscribe("acme.>", {}, [&](const ReceivedMessage&) {
    subscribed.WaitForNotification();
    publish_status = client_->PublishAndWait("t", Msg("x")).status();
    ping_status = client_->Ping();
    unsubscribe_status = (*self)->Unsubscribe();  // from its own handler
    done.Notify();
  });
  ASSERT_TRUE(sub.ok());
  self = &*sub;
  subscribed.Notify();
  Deliver(broker_.WaitForFrames(1)[0].subscribe().subscription_id(), 0,
          {"a", "b"});
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(publish_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ping_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(unsubscribe_status.ok());
}

TEST(ClientCloseTest, CloseSendsQueuedPublishesAndWaitsForTheirAcks) {
  FakeBroker broker;
  AckPublishes(broker);
  ClientOptions options;
  options.linger = absl::Hours(1);
  auto client = ConnectOrDie(broker, options);
  Results results;
  client->Publish("t", Msg("1"), results.Callback());
  client->Close();
  auto done = results.WaitFor(1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].ok()) << done[0].status();
  EXPECT_EQ(client->PublishAndWait("t", Msg("2")).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(ClientCloseTest, UnacknowledgedPublishesFailWithClientClosed) {
  FakeBroker broker;  // never acknowledges
  ClientOptions options;
  options.request_timeout = absl::Milliseconds(200);
  auto client = ConnectOrDie(broker, options);
  Results results;
  client->Publish("t", Msg("1"), results.Callback());
  client.reset();  // the destructor closes
  auto done = results.WaitFor(1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(done[0].status().message(), "client closed");
}

}  // namespace
}  // namespace chorus
