// Topics in a cluster: created and deleted through the controller from any
// broker, their partitions spread over the brokers, publishes to a
// partition led elsewhere redirected to its leader, and brokers that were
// away or a controller that died. Real chorusd processes on a real etcd.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/records.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/subprocess.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

class ClusterTopicsTest : public ClusterFixture {
 protected:
  // Three brokers ("1", "2", "3") that agree on the cluster.
  void StartThree() {
    ASSERT_NO_FATAL_FAILURE(StartBrokers(3));
    for (const auto& broker : brokers_) {
      WaitForView(*broker, HasBrokersAndController({"1", "2", "3"}));
    }
    view_ = WaitForView(*brokers_[0], HasBrokersAndController({"1", "2", "3"}));
  }

  BrokerProcess* Node(const std::string& id) { return ById(view_, id); }

  // One request and its reply over a fresh connection.
  static wire::Frame Ask(const BrokerProcess& broker, wire::Frame request) {
    RawConnection raw(broker.address());
    EXPECT_TRUE(raw.ok());
    EXPECT_TRUE(raw.Handshake().ok());
    request.set_correlation_id(7);
    EXPECT_TRUE(raw.SendFrame(request).ok());
    absl::StatusOr<wire::Frame> reply = raw.ReadReply(7, absl::Seconds(30));
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : wire::Frame();
  }

  static wire::Frame PublishFrame(const std::string& topic,
                                  std::optional<uint32_t> partition,
                                  const std::string& value) {
    wire::Frame frame;
    wire::Publish* publish = frame.mutable_publish();
    publish->set_topic(topic);
    if (partition) publish->set_partition(*partition);
    std::string records;
    proto::AppendRecord("", value, {}, &records);
    publish->set_records(records);
    return frame;
  }

  // What `broker` says of `topic`: its metadata, or the error's code.
  static wire::TopicMetadata TopicOn(const BrokerProcess& broker,
                                     const std::string& topic) {
    wire::Frame request;
    request.mutable_metadata()->add_topics(topic);
    wire::Frame reply = Ask(broker, request);
    if (!reply.has_metadata_reply() ||
        reply.metadata_reply().topics_size() != 1) {
      ADD_FAILURE() << "no metadata for " << topic;
      return {};
    }
    return reply.metadata_reply().topics(0);
  }

  // Waits until every broker knows `topic` (or, with `exists` false, none
  // does).
  void WaitEverywhere(const std::string& topic, bool exists) {
    for (const auto& broker : brokers_) {
      const absl::Time deadline = absl::Now() + absl::Seconds(15);
      while (TopicOn(*broker, topic).has_error() == exists &&
             absl::Now() < deadline) {
        absl::SleepFor(absl::Milliseconds(20));
      }
      EXPECT_NE(TopicOn(*broker, topic).has_error(), exists)
          << broker->address() << " on " << topic;
    }
  }

  static std::map<std::string, int> LeaderCounts(
      const wire::TopicMetadata& topic) {
    std::map<std::string, int> counts;
    for (const wire::PartitionMetadata& p : topic.partitions()) {
      ++counts[p.leader()];
    }
    return counts;
  }

  ClusterInfo view_;
};

TEST_F(ClusterTopicsTest,
       ATopicCreatedOnOneBrokerIsSpreadOverAllAndKnownToEach) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto client = ConnectOrDie(*Node("2"));
  absl::StatusOr<TopicInfo> created =
      client->CreateTopic("acme.spread", {.partitions = 6});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->partitions.size(), 6u);
  // Acknowledged once broker 2 has it; the others follow from etcd.
  WaitEverywhere("acme.spread", true);

  const wire::TopicMetadata on_first = TopicOn(*Node("1"), "acme.spread");
  ASSERT_FALSE(on_first.has_error()) << on_first.error().message();
  EXPECT_EQ(LeaderCounts(on_first),
            (std::map<std::string, int>{{"1", 2}, {"2", 2}, {"3", 2}}));
  for (const auto& broker : brokers_) {
    wire::TopicMetadata seen = TopicOn(*broker, "acme.spread");
    ASSERT_EQ(seen.partitions_size(), 6) << broker->address();
    for (int p = 0; p < 6; ++p) {
      EXPECT_EQ(seen.partitions(p).leader(), on_first.partitions(p).leader());
    }
  }
  // Every broker lists it, and counts two partitions on each broker.
  for (const auto& broker : brokers_) {
    auto listed = ConnectOrDie(*broker)->ListTopics();
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].name, "acme.spread");
    absl::StatusOr<ClusterInfo> cluster =
        ConnectOrDie(*broker)->DescribeCluster();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    for (const BrokerInfo& each : cluster->brokers) {
      EXPECT_EQ(each.partitions, 2u) << each.node_id;
      EXPECT_EQ(each.leaders, 2u) << each.node_id;
    }
  }
  absl::StatusOr<CommandResult> status = RunCommand(
      {ChorusCliPath(), "--server", Node("3")->address(), "cluster", "status"},
      "", absl::Seconds(20));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(status->out, ::testing::HasSubstr(absl::StrCat(
                               "1\t", Node("1")->address(),
                               "\t-\talive\t2 partitions, 2 led\n")));
}

TEST_F(ClusterTopicsTest,
       APublishToAPartitionLedElsewhereIsRedirectedToItsLeader) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  ASSERT_TRUE(ConnectOrDie(*Node("1"))
                  ->CreateTopic("acme.route", {.partitions = 3})
                  .ok());
  const wire::TopicMetadata topic = TopicOn(*Node("1"), "acme.route");
  ASSERT_EQ(topic.partitions_size(), 3);
  for (uint32_t p = 0; p < 3; ++p) {
    const std::string leader = topic.partitions(p).leader();
    const std::string other = leader == "1" ? "2" : "1";
    const wire::Frame refused =
        Ask(*Node(other), PublishFrame("acme.route", p, "elsewhere"));
    ASSERT_TRUE(refused.has_error()) << refused.DebugString();
    EXPECT_EQ(refused.error().code(), wire::FAILED_PRECONDITION);
    EXPECT_EQ(refused.error().redirect().node_id(), leader);
    EXPECT_EQ(refused.error().redirect().address(), Node(leader)->address());

    const wire::Frame acked =
        Ask(*Node(leader), PublishFrame("acme.route", p, absl::StrCat("v", p)));
    ASSERT_TRUE(acked.has_publish_ack()) << acked.DebugString();
    EXPECT_EQ(acked.publish_ack().ranges(0).partition(), p);
  }
  // A publish without a partition goes to one this broker leads.
  const wire::Frame keyless =
      Ask(*Node("3"), PublishFrame("acme.route", std::nullopt, "any"));
  ASSERT_TRUE(keyless.has_publish_ack()) << keyless.DebugString();
  const uint32_t chosen = keyless.publish_ack().ranges(0).partition();
  EXPECT_EQ(topic.partitions(chosen).leader(), "3");
}

TEST_F(ClusterTopicsTest, PublishingToANewTopicCreatesItThroughTheController) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  // With no load anywhere the partition goes to broker 1: asked of broker 3,
  // the publishes wait for the topic and are then sent on to its leader,
  // answered in the order they came.
  RawConnection raw(Node("3")->address());
  ASSERT_TRUE(raw.Handshake().ok());
  for (uint64_t id = 10; id < 13; ++id) {
    wire::Frame publish = PublishFrame("auto.created", std::nullopt, "x");
    publish.set_correlation_id(id);
    ASSERT_TRUE(raw.SendFrame(publish).ok());
  }
  for (uint64_t id = 10; id < 13; ++id) {
    absl::StatusOr<wire::Frame> reply = raw.ReadFrame(absl::Seconds(30));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->correlation_id(), id);
    ASSERT_TRUE(reply->has_error()) << reply->DebugString();
    EXPECT_EQ(reply->error().redirect().node_id(), "1");
  }
  WaitEverywhere("auto.created", true);
  const wire::Frame acked =
      Ask(*Node("1"), PublishFrame("auto.created", std::nullopt, "y"));
  ASSERT_TRUE(acked.has_publish_ack()) << acked.DebugString();

  // Metadata with auto-create creates through the controller too.
  wire::Frame ask;
  ask.mutable_metadata()->add_topics("auto.by-metadata");
  ask.mutable_metadata()->set_auto_create(true);
  const wire::Frame reply = Ask(*Node("2"), ask);
  ASSERT_EQ(reply.metadata_reply().topics_size(), 1);
  EXPECT_FALSE(reply.metadata_reply().topics(0).has_error());
  EXPECT_EQ(reply.metadata_reply().topics(0).partitions_size(), 1);
}

TEST_F(ClusterTopicsTest, CreateAndDeleteAreRefusedAsOnASingleNode) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto one = ConnectOrDie(*Node("1"));
  auto two = ConnectOrDie(*Node("2"));
  ASSERT_TRUE(one->CreateTopic("twice", {.partitions = 2}).ok());
  EXPECT_EQ(two->CreateTopic("twice", {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(two->CreateTopic("too.big", {.partitions = 5000}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(two->CreateTopic("bad..name", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(two->DeleteTopic("never.was").code(), absl::StatusCode::kNotFound);
}

TEST_F(ClusterTopicsTest,
       ATopicDeletedOnAnyBrokerIsGoneEverywhereAndComesBackEmpty) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto one = ConnectOrDie(*Node("1"));
  ASSERT_TRUE(one->CreateTopic("again", {}).ok());
  const std::string leader =
      TopicOn(*Node("1"), "again").partitions(0).leader();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        Ask(*Node(leader), PublishFrame("again", 0, "old")).has_publish_ack());
  }
  ASSERT_TRUE(ConnectOrDie(*Node("3"))->DeleteTopic("again").ok());
  WaitEverywhere("again", false);

  ASSERT_TRUE(one->CreateTopic("again", {}).ok());
  const std::string now = TopicOn(*Node("1"), "again").partitions(0).leader();
  absl::StatusOr<TopicInfo> fresh =
      ConnectOrDie(*Node(now))->DescribeTopic("again");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->partitions[0].next_offset, 0u)
      << "the new topic holds the old one's messages";
}

TEST_F(ClusterTopicsTest, ABrokerThatWasAwayCatchesUpOnTopics) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto one = ConnectOrDie(*Node("1"));
  ASSERT_TRUE(one->CreateTopic("kept", {.partitions = 3}).ok());
  ASSERT_TRUE(one->CreateTopic("gone", {.partitions = 3}).ok());
  WaitEverywhere("gone", true);
  // Partition 2 of "kept" is broker 3's (one partition each, in order).
  ASSERT_EQ(TopicOn(*Node("1"), "kept").partitions(2).leader(), "3");
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(
        Ask(*Node("3"), PublishFrame("kept", 2, "held")).has_publish_ack());
  }
  BrokerProcess* third = Node("3");
  ASSERT_EQ(*third->Stop(), 0);
  WaitForView(*Node("1"), HasBrokersAndController({"1", "2"}));
  ASSERT_TRUE(one->DeleteTopic("gone").ok());
  ASSERT_TRUE(one->CreateTopic("new", {.partitions = 2}).ok());

  ASSERT_TRUE(third->Restart().ok());
  view_ = WaitForView(*Node("1"), HasBrokersAndController({"1", "2", "3"}));
  EXPECT_FALSE(TopicOn(*third, "kept").has_error());
  EXPECT_FALSE(TopicOn(*third, "new").has_error());
  EXPECT_TRUE(TopicOn(*third, "gone").has_error());
  absl::StatusOr<TopicInfo> kept = ConnectOrDie(*third)->DescribeTopic("kept");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->partitions[2].next_offset, 4u);
  // "new" was placed on the two live brokers only.
  const wire::TopicMetadata fresh = TopicOn(*third, "new");
  ASSERT_EQ(fresh.partitions_size(), 2);
  for (const auto& p : fresh.partitions()) EXPECT_NE(p.leader(), "3");
}

TEST_F(ClusterTopicsTest, WhenTheControllerIsKilledTheNextCarriesOutRequests) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  const std::string dead = view_.controller;
  BrokerProcess* controller = Node(dead);
  ASSERT_NE(controller, nullptr);
  controller->Kill();
  const std::string asker = dead == "1" ? "2" : "1";
  // Waits for a new controller, elected once the dead one's lease lapses.
  absl::StatusOr<TopicInfo> created =
      ConnectOrDie(*Node(asker))
          ->CreateTopic("after.failover", {.partitions = 4});
  ASSERT_TRUE(created.ok()) << created.status();
  const wire::TopicMetadata topic = TopicOn(*Node(asker), "after.failover");
  ASSERT_EQ(topic.partitions_size(), 4);
  for (const auto& p : topic.partitions()) EXPECT_NE(p.leader(), dead);
}

}  // namespace
}  // namespace chorus::testing
