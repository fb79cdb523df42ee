// Metadata on a single node, MetadataChanged pushes, and resumed
// subscriptions, at the protocol level against a real broker.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "proto/records.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

wire::Frame MetadataRequest(uint64_t id, std::vector<std::string> topics,
                            bool auto_create) {
  wire::Frame frame;
  frame.set_correlation_id(id);
  for (const std::string& topic : topics) {
    frame.mutable_metadata()->add_topics(topic);
  }
  frame.mutable_metadata()->set_auto_create(auto_create);
  return frame;
}

class MetadataTest : public BrokerTest {
 protected:
  wire::MetadataReply Ask(RawConnection& raw, const wire::Frame& request) {
    EXPECT_TRUE(raw.SendFrame(request).ok());
    absl::StatusOr<wire::Frame> reply =
        raw.ReadReply(request.correlation_id(), absl::Seconds(20));
    EXPECT_TRUE(reply.ok()) << reply.status();
    EXPECT_TRUE(reply.ok() && reply->has_metadata_reply())
        << (reply.ok() ? reply->ShortDebugString() : "");
    return reply.ok() ? reply->metadata_reply() : wire::MetadataReply();
  }
};

TEST_F(MetadataTest, TheSingleNodeLeadsEveryPartition) {
  ASSERT_TRUE(client_->CreateTopic("m.three", {.partitions = 3}).ok());
  ASSERT_TRUE(client_->CreateTopic("m.one", {}).ok());
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  const wire::MetadataReply all = Ask(raw, MetadataRequest(2, {}, false));
  ASSERT_EQ(all.brokers_size(), 1);
  EXPECT_EQ(all.brokers(0).node_id(), "chorus-1");
  EXPECT_EQ(all.brokers(0).address(), broker_->address());
  EXPECT_TRUE(all.brokers(0).alive());
  EXPECT_EQ(all.controller(), "chorus-1");
  EXPECT_GT(all.version(), 0u);
  ASSERT_EQ(all.topics_size(), 2);
  const wire::TopicMetadata& three =
      all.topics(0).name() == "m.three" ? all.topics(0) : all.topics(1);
  EXPECT_EQ(three.name(), "m.three");
  ASSERT_EQ(three.partitions_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const wire::PartitionMetadata& p = three.partitions(i);
    EXPECT_EQ(p.partition(), static_cast<uint32_t>(i));
    EXPECT_EQ(p.leader(), "chorus-1");
    EXPECT_EQ(p.leader_epoch(), 0u);
    EXPECT_THAT(p.replicas(), ::testing::ElementsAre("chorus-1"));
    EXPECT_THAT(p.isr(), ::testing::ElementsAre("chorus-1"));
  }
}

TEST_F(MetadataTest, NamedTopicsAreFoundCreatedOrRefused) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  const wire::MetadataReply missing =
      Ask(raw, MetadataRequest(2, {"m.missing", "bad..name"}, false));
  ASSERT_EQ(missing.topics_size(), 2);
  EXPECT_EQ(missing.topics(0).error().code(), wire::NOT_FOUND);
  EXPECT_EQ(missing.topics(1).error().code(), wire::INVALID_ARGUMENT);
  const wire::MetadataReply created =
      Ask(raw, MetadataRequest(3, {"m.missing"}, true));
  ASSERT_EQ(created.topics_size(), 1);
  EXPECT_EQ(created.topics(0).error().code(), wire::OK);
  EXPECT_EQ(created.topics(0).partitions_size(), 1);
  EXPECT_TRUE(client_->DescribeTopic("m.missing").ok());
  EXPECT_GT(created.version(), missing.version());
}

class NoAutoCreateMetadataTest : public MetadataTest {
 protected:
  std::vector<std::string> BrokerFlags() override {
    return {"--auto-create-topics=false"};
  }
};

TEST_F(NoAutoCreateMetadataTest, AutoCreateIsRefusedWhenTheBrokerForbidsIt) {
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  const wire::MetadataReply reply =
      Ask(raw, MetadataRequest(2, {"m.never"}, true));
  ASSERT_EQ(reply.topics_size(), 1);
  EXPECT_EQ(reply.topics(0).error().code(), wire::NOT_FOUND);
  EXPECT_THAT(reply.topics(0).error().message(), HasSubstr("auto-create"));
  EXPECT_EQ(client_->DescribeTopic("m.never").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MetadataTest, WatchersHearOfTopicsCreatedAndDeleted) {
  RawConnection watcher(broker_->address());
  ASSERT_TRUE(watcher.Handshake(/*watch_metadata=*/true).ok());
  RawConnection deaf(broker_->address());
  ASSERT_TRUE(deaf.Handshake().ok());
  const uint64_t before = Ask(watcher, MetadataRequest(2, {}, false)).version();

  ASSERT_TRUE(client_->CreateTopic("m.new", {}).ok());
  absl::StatusOr<wire::Frame> created = watcher.ReadFrame(absl::Seconds(20));
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(created->has_metadata_changed()) << created->ShortDebugString();
  EXPECT_EQ(created->correlation_id(), 0u);
  EXPECT_GT(created->metadata_changed().version(), before);

  ASSERT_TRUE(client_->DeleteTopic("m.new").ok());
  absl::StatusOr<wire::Frame> deleted = watcher.ReadFrame(absl::Seconds(20));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_TRUE(deleted->has_metadata_changed());
  EXPECT_GT(deleted->metadata_changed().version(),
            created->metadata_changed().version());
  // The connection that did not ask hears nothing: its next frame is the
  // answer to its own request.
  const wire::Frame ping = [] {
    wire::Frame frame;
    frame.set_correlation_id(7);
    frame.mutable_ping();
    return frame;
  }();
  ASSERT_TRUE(deaf.SendFrame(ping).ok());
  absl::StatusOr<wire::Frame> pong = deaf.ReadFrame(absl::Seconds(20));
  ASSERT_TRUE(pong.ok());
  EXPECT_TRUE(pong->has_pong()) << pong->ShortDebugString();
}

TEST_F(MetadataTest, SubscribeAckSaysWhereEachPartitionStarts) {
  ASSERT_TRUE(client_->CreateTopic("r.ack", {.partitions = 2}).ok());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client_
                    ->PublishAndWait(
                        "r.ack", {.key = "k" + std::to_string(i), .value = "v"})
                    .ok());
  }
  absl::StatusOr<TopicInfo> info = client_->DescribeTopic("r.ack");
  ASSERT_TRUE(info.ok());
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  ASSERT_TRUE(
      raw.SendFrame(SubscribeFrame(2, "r.ack", wire::StartPosition::LATEST))
          .ok());
  absl::StatusOr<wire::Frame> ack = raw.ReadReply(2, absl::Seconds(20));
  ASSERT_TRUE(ack.ok() && ack->has_subscribe_ack());
  ASSERT_EQ(ack->subscribe_ack().started_size(), 2);
  for (const wire::ResumePoint& point : ack->subscribe_ack().started()) {
    EXPECT_EQ(point.topic(), "r.ack");
    EXPECT_EQ(point.offset(), info->partitions[point.partition()].next_offset);
  }
}

TEST_F(MetadataTest, ResumePointsOverrideTheStartOfTheirPartitions) {
  ASSERT_TRUE(client_->CreateTopic("r.two", {.partitions = 2}).ok());
  PublishAll(*client_, "r.one", 5);
  RawConnection raw(broker_->address());
  ASSERT_TRUE(raw.Handshake().ok());
  wire::Frame subscribe = SubscribeFrame(2, "r.*", wire::StartPosition::LATEST);
  wire::ResumePoint* point = subscribe.mutable_subscribe()->add_resume();
  point->set_topic("r.one");
  point->set_partition(0);
  point->set_offset(3);
  // Beyond the end: clamped to it.
  point = subscribe.mutable_subscribe()->add_resume();
  point->set_topic("r.two");
  point->set_partition(1);
  point->set_offset(1000);
  ASSERT_TRUE(raw.SendFrame(subscribe).ok());
  std::vector<wire::Frame> pushes;
  absl::StatusOr<wire::Frame> ack =
      raw.ReadReply(2, absl::Seconds(20), &pushes);
  ASSERT_TRUE(ack.ok() && ack->has_subscribe_ack());
  while (pushes.empty()) {
    absl::StatusOr<wire::Frame> push = raw.ReadFrame(absl::Seconds(20));
    ASSERT_TRUE(push.ok()) << push.status();
    pushes.push_back(*push);
  }
  ASSERT_TRUE(pushes[0].has_deliver());
  EXPECT_EQ(pushes[0].deliver().topic(), "r.one");
  EXPECT_EQ(pushes[0].deliver().base_offset(), 3u);
  for (const wire::ResumePoint& started : ack->subscribe_ack().started()) {
    if (started.topic() == "r.two" && started.partition() == 1) {
      EXPECT_EQ(started.offset(), 0u);
    }
  }
}

}  // namespace
}  // namespace chorus::testing
