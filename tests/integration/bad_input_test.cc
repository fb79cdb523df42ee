// Bad input gets a clear error (and a closed connection where the stream
// cannot be trusted); the broker keeps serving everyone else and loses
// nothing it stored.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "proto/records.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerFlags() override {
    return {"--max-message-bytes", "1024", "--max-frame-bytes", "65536"};
  }

  void SetUp() override {
    BrokerTest::SetUp();
    PublishAll(*client_, "t.safe", 50, "before");
  }

  // The broker still serves a healthy client, and what it stored is intact.
  void ExpectBrokerHealthy() {
    std::unique_ptr<Client> fresh = ConnectOrDie(*broker_, "fresh");
    ASSERT_NE(fresh, nullptr);
    ASSERT_TRUE(fresh->PublishAndWait("t.safe", {.value = "after"}).ok());
    Collector collector;
    SubscribeOptions options;
    options.start = StartPosition::Earliest();
    auto sub = fresh->Subscribe("t.safe", options, collector.Handler());
    ASSERT_TRUE(sub.ok());
    ASSERT_TRUE(collector.WaitFor(51));
    std::vector<Received> got = collector.Take();
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(got[i].value, "before" + std::to_string(i));
    EXPECT_EQ(got[50].value, "after");
  }

  wire::Frame PublishFrame(uint64_t id, const std::string& topic,
                           const std::string& records) {
    wire::Frame frame;
    frame.set_correlation_id(id);
    frame.mutable_publish()->set_topic(topic);
    frame.mutable_publish()->set_records(records);
    return frame;
  }
};

TEST_F(BadInputTest, GarbageBytesAreRefusedAndTheConnectionClosed) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.SendBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ExpectClosedWithError(raw, absl::StatusCode::kResourceExhausted,
                        "over the limit");
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, MalformedFrameBodyIsRefused) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.Handshake().ok());
  ASSERT_TRUE(
      raw.SendBytes(std::string("\0\0\0\x05\xff\xff\xff\xff\xff", 9)).ok());
  ExpectClosedWithError(raw, absl::StatusCode::kInvalidArgument,
                        "malformed frame");
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, OversizeFrameIsRefusedFromItsHeader) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.Handshake().ok());
  char header[4];
  proto::PutFrameLength(65537, header);
  ASSERT_TRUE(raw.SendBytes(std::string(header, 4)).ok());
  ExpectClosedWithError(raw, absl::StatusCode::kResourceExhausted,
                        "65537 bytes");
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, ClientVanishingMidFrameHarmsNobody) {
  {
    RawConnection raw(broker_->address());
    ASSERT_TRUE(raw.Handshake().ok());
    std::string frame = proto::EncodeFrame(PublishFrame(2, "t.safe", "x"));
    ASSERT_TRUE(raw.SendBytes(frame.substr(0, frame.size() / 2)).ok());
  }
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, UnknownRequestKindGetsUnimplementedAndKeepsTheConnection) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  // Correlation id 7, then field 99 (length-delimited): unknown to Frame.
  std::string body = std::string("\x08\x07", 2) + "\x9a\x06\x03" + "abc";
  char header[4];
  proto::PutFrameLength(body.size(), header);
  ASSERT_TRUE(raw.SendBytes(std::string(header, 4) + body).ok());
  absl::StatusOr<wire::Frame> reply = raw.ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->correlation_id(), 7u);
  EXPECT_EQ(reply->error().code(), wire::UNIMPLEMENTED);
  wire::Frame ping;
  ping.set_correlation_id(8);
  ping.mutable_ping();
  ASSERT_TRUE(raw.SendFrame(ping).ok());
  reply = raw.ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->has_pong());
}

TEST_F(BadInputTest, InvalidUtf8IsRefusedWithoutFloodingTheLog) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  std::string records;
  proto::AppendRecord("", "v", {}, &records);
  ASSERT_TRUE(raw.SendFrame(PublishFrame(2, "t.\xff\xfe", records)).ok());
  ExpectClosedWithError(raw, absl::StatusCode::kInvalidArgument,
                        "malformed frame");
  // Protobuf would log a line per such frame; chorusd silences it.
  EXPECT_THAT(broker_->Log(), ::testing::Not(HasSubstr("libprotobuf")));
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, PublishBeforeHelloIsRefusedAndClosed) {
  RawConnection raw(broker_->address());
  std::string records;
  proto::AppendRecord("", "sneaky", {}, &records);
  ASSERT_TRUE(raw.SendFrame(PublishFrame(1, "t.safe", records)).ok());
  ExpectClosedWithError(raw, absl::StatusCode::kFailedPrecondition,
                        "must be Hello");
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, WrongProtocolVersionIsRefused) {
  RawConnection raw(broker_->address());
  wire::Frame hello;
  hello.set_correlation_id(1);
  hello.mutable_hello()->set_protocol_version(99);
  ASSERT_TRUE(raw.SendFrame(hello).ok());
  ExpectClosedWithError(raw, absl::StatusCode::kFailedPrecondition,
                        "unsupported protocol version 99");
}

TEST_F(BadInputTest, MalformedRecordsAreRefusedWithoutClosing) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  ASSERT_TRUE(raw.SendFrame(PublishFrame(3, "t.safe", "\x0a\x7f\x01")).ok());
  absl::StatusOr<wire::Frame> reply = raw.ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->correlation_id(), 3u);
  EXPECT_EQ(reply->error().code(), wire::INVALID_ARGUMENT);
  ASSERT_TRUE(raw.SendFrame(PublishFrame(4, "t.safe", "")).ok());
  reply = raw.ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok());
  EXPECT_THAT(reply->error().message(), HasSubstr("no records"));
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, IllegalTopicNamesAndFiltersAreInvalidArgument) {
  for (const char* topic :
       {"", "a..b", "has space", "a.*", "x.>", "caf\xc3\xa9"}) {
    absl::StatusOr<PublishResult> r =
        client_->PublishAndWait(topic, {.value = "v"});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << topic;
  }
  std::string long_name(256, 'a');
  EXPECT_EQ(client_->PublishAndWait(long_name, {.value = "v"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* filter : {"", "a.>.b", "a*", "a..b"}) {
    auto sub = client_->Subscribe(filter, {}, [](const ReceivedMessage&) {});
    EXPECT_EQ(sub.status().code(), absl::StatusCode::kInvalidArgument)
        << filter;
  }
  ExpectBrokerHealthy();
}

TEST_F(BadInputTest, MessageOverTheLimitIsResourceExhausted) {
  // The client refuses it before sending...
  absl::StatusOr<PublishResult> r =
      client_->PublishAndWait("t.big", {.value = std::string(2000, 'x')});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("limit is 1024"));
  EXPECT_TRUE(client_->PublishAndWait("t.big", {.value = "small"}).ok());

  // ...and the broker refuses it from a client that does not: the whole
  // batch, with a message just at the limit before it, is not stored, and
  // the connection stays open. (A record's body is its key, value and
  // headers encoded: a 1021-byte value takes 1024 bytes.)
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  std::string at_limit;
  proto::AppendRecord("", std::string(1021, 'a'), {}, &at_limit);
  std::string over_limit;
  proto::AppendRecord("", std::string(1022, 'o'), {}, &over_limit);
  proto::RecordView record;
  ASSERT_TRUE(proto::RecordReader(at_limit).Next(&record));
  ASSERT_EQ(record.body.size(), 1024u);
  ASSERT_TRUE(proto::RecordReader(over_limit).Next(&record));
  ASSERT_EQ(record.body.size(), 1025u);

  ASSERT_TRUE(
      raw.SendFrame(PublishFrame(2, "t.safe", at_limit + over_limit)).ok());
  absl::StatusOr<wire::Frame> reply = raw.ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->correlation_id(), 2u);
  EXPECT_EQ(reply->error().code(), wire::RESOURCE_EXHAUSTED);
  EXPECT_THAT(reply->error().message(),
              HasSubstr("message 1 is 1025 bytes; the limit is 1024"));
  // Just at the limit is accepted.
  ASSERT_TRUE(raw.SendFrame(PublishFrame(3, "t.big", at_limit)).ok());
  reply = raw.ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->correlation_id(), 3u);
  EXPECT_TRUE(reply->has_publish_ack()) << reply->ShortDebugString();
  ExpectBrokerHealthy();  // t.safe holds nothing of the refused batch
}

TEST_F(BadInputTest, UnknownTopicsAreNotFound) {
  EXPECT_EQ(client_->DescribeTopic("t.nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->DeleteTopic("t.nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client_->CreateTopic("t.safe", {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      client_->CreateTopic("t.zero", {.partitions = 5000}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(BadInputTest, SubscriberVanishingMidDeliveryHarmsNobody) {
  {
    RawConnection raw(broker_->address());
    ASSERT_TRUE(raw.Handshake().ok());
    wire::Frame subscribe;
    subscribe.set_correlation_id(2);
    subscribe.mutable_subscribe()->set_subscription_id(1);
    subscribe.mutable_subscribe()->set_filter("t.flood");
    subscribe.mutable_subscribe()->mutable_start()->set_kind(
        wire::StartPosition::EARLIEST);
    subscribe.mutable_subscribe()->set_credit_messages(1000000);
    subscribe.mutable_subscribe()->set_credit_bytes(1 << 30);
    ASSERT_TRUE(raw.SendFrame(subscribe).ok());
    PublishAll(*client_, "t.flood", 500, "more");
    // Gone without reading a byte of what is being delivered.
  }
  ExpectBrokerHealthy();
}

class NoAutoCreateTest : public BrokerTest {
 protected:
  std::vector<std::string> BrokerFlags() override {
    return {"--auto-create-topics=false"};
  }
};

TEST_F(NoAutoCreateTest, PublishToAMissingTopicIsNotFound) {
  absl::StatusOr<PublishResult> r =
      client_->PublishAndWait("t.missing", {.value = "v"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(client_->CreateTopic("t.missing", {}).ok());
  EXPECT_TRUE(client_->PublishAndWait("t.missing", {.value = "v"}).ok());
}

}  // namespace
}  // namespace chorus::testing
