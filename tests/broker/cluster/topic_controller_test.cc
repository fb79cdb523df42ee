#include "broker/cluster/topic_controller.h"

#include <map>
#include <optional>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"

namespace chorus::cluster {
namespace {

class TopicControllerTest : public etcd::EtcdTest {
 protected:
  // Makes a controller key (as an election would) and returns its epoch.
  int64_t NewEpoch() {
    EXPECT_TRUE(client_->Delete(keys_.Controller()).ok());
    absl::StatusOr<int64_t> revision = client_->Put(keys_.Controller(), "x");
    EXPECT_TRUE(revision.ok()) << revision.status();
    return revision.ok() ? *revision : 0;
  }

  std::unique_ptr<TopicController> StartController(int64_t epoch) {
    return std::make_unique<TopicController>(*client_, keys_, epoch, [] {
      return std::vector<std::string>{"1", "2", "10"};
    });
  }

  void File(const std::string& name, wire::TopicRequest::Kind kind,
            uint32_t partitions = 1) {
    wire::TopicRequest request;
    request.set_kind(kind);
    request.mutable_config()->set_partitions(partitions);
    request.set_requested_by("2");
    ASSERT_TRUE(
        client_->Put(keys_.TopicRequest(name), request.SerializeAsString())
            .ok());
  }

  std::optional<wire::TopicAssignment> Assignment(const std::string& name) {
    auto kv = client_->Get(keys_.Topic(name));
    if (!kv.ok() || !kv->has_value()) return std::nullopt;
    wire::TopicAssignment assignment;
    EXPECT_TRUE(assignment.ParseFromString((*kv)->value));
    return assignment;
  }

  bool RequestPending(const std::string& name) {
    auto kv = client_->Get(keys_.TopicRequest(name));
    return kv.ok() && kv->has_value();
  }

  // Waits (up to 15 s) until the request for `name` is gone.
  bool WaitCarriedOut(const std::string& name) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    while (absl::Now() < deadline) {
      if (!RequestPending(name)) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  static std::map<std::string, int> Leaders(
      const wire::TopicAssignment& assignment) {
    std::map<std::string, int> leaders;
    for (const auto& partition : assignment.partitions()) {
      ++leaders[partition.leader()];
    }
    return leaders;
  }

  const ClusterKeys keys_{"c"};
};

TEST_F(TopicControllerTest, CarriesOutRequestsFiledBeforeAndAfterItStarts) {
  const int64_t epoch = NewEpoch();
  File("early", wire::TopicRequest::CREATE, 3);
  auto controller = StartController(epoch);
  File("late", wire::TopicRequest::CREATE, 6);
  ASSERT_TRUE(WaitCarriedOut("early"));
  ASSERT_TRUE(WaitCarriedOut("late"));

  std::optional<wire::TopicAssignment> early = Assignment("early");
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->config().partitions(), 3u);
  EXPECT_EQ(early->controller_epoch(), epoch);
  EXPECT_EQ(Leaders(*early),
            (std::map<std::string, int>{{"1", 1}, {"2", 1}, {"10", 1}}));
  std::optional<wire::TopicAssignment> late = Assignment("late");
  ASSERT_TRUE(late.has_value());
  ASSERT_EQ(late->partitions_size(), 6);
  // The load of "early" counts: the six spread two by two.
  EXPECT_EQ(Leaders(*late),
            (std::map<std::string, int>{{"1", 2}, {"2", 2}, {"10", 2}}));
}

TEST_F(TopicControllerTest, DeletesATopicAndPlacesTheNextOnTheFreedBrokers) {
  const int64_t epoch = NewEpoch();
  auto controller = StartController(epoch);
  File("a", wire::TopicRequest::CREATE, 2);
  ASSERT_TRUE(WaitCarriedOut("a"));
  ASSERT_TRUE(Assignment("a").has_value());
  File("a", wire::TopicRequest::DELETE);
  ASSERT_TRUE(WaitCarriedOut("a"));
  EXPECT_FALSE(Assignment("a").has_value());
  // "a" held brokers 1 and 2; with it gone they are the least loaded again.
  File("b", wire::TopicRequest::CREATE, 1);
  ASSERT_TRUE(WaitCarriedOut("b"));
  ASSERT_TRUE(Assignment("b").has_value());
  EXPECT_EQ(Assignment("b")->partitions(0).leader(), "1");
}

TEST_F(TopicControllerTest, ACreateForAnExistingTopicIsDiscarded) {
  auto controller = StartController(NewEpoch());
  File("t", wire::TopicRequest::CREATE, 2);
  ASSERT_TRUE(WaitCarriedOut("t"));
  const auto before = client_->Get(keys_.Topic("t"));
  ASSERT_TRUE(before.ok() && before->has_value());
  File("t", wire::TopicRequest::CREATE, 5);
  ASSERT_TRUE(WaitCarriedOut("t"));
  const auto after = client_->Get(keys_.Topic("t"));
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->mod_revision, (*before)->mod_revision);
  EXPECT_EQ(Assignment("t")->config().partitions(), 2u);
}

TEST_F(TopicControllerTest, ASupersededControllerWritesNothing) {
  const int64_t stale = NewEpoch();
  auto old_controller = StartController(stale);
  File("first", wire::TopicRequest::CREATE);
  ASSERT_TRUE(WaitCarriedOut("first"));
  // Another broker wins the election; the old controller does not know yet.
  const int64_t current = NewEpoch();
  File("second", wire::TopicRequest::CREATE);
  // The old controller sees the request at once, and must leave it alone.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_TRUE(RequestPending("second"));
  EXPECT_FALSE(Assignment("second").has_value());

  auto new_controller = StartController(current);
  ASSERT_TRUE(WaitCarriedOut("second"));
  ASSERT_TRUE(Assignment("second").has_value());
  EXPECT_EQ(Assignment("second")->controller_epoch(), current);
}

}  // namespace
}  // namespace chorus::cluster
