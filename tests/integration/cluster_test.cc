// Brokers joining a cluster on a real etcd: node ids, membership, the
// controller and its failover, bad starts, and etcd faults. Real chorusd
// processes and a real etcd, driven through the client and the CLI.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/broker_process.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/etcd_process.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

class ClusterTest : public ClusterFixture {
 protected:
  int64_t RegistrationRevision(const std::string& node_id) {
    auto etcd = etcd::Client::Connect(etcd_->endpoints());
    EXPECT_TRUE(etcd.ok());
    auto kv = (*etcd)->Get(cluster::ClusterKeys("it").Broker(node_id));
    EXPECT_TRUE(kv.ok() && kv->has_value());
    return kv.ok() && kv->has_value() ? (*kv)->create_revision : 0;
  }

  // Runs chorusd to its end (a start that must fail).
  absl::StatusOr<CommandResult> RunChorusd(const std::string& data_dir,
                                           std::vector<std::string> flags) {
    std::vector<std::string> argv = {ChorusdPath(), "--listen", "127.0.0.1:0",
                                     "--data-dir", data_dir};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return RunCommand(argv, "", absl::Seconds(60));
  }
};

TEST_F(ClusterTest, BrokersJoinWithNodeIdsFromEtcdAndAllSeeTheSameCluster) {
  StartBrokers(3);
  const ClusterInfo first =
      WaitForView(*brokers_[0], HasBrokersAndController({"1", "2", "3"}));
  EXPECT_EQ(first.cluster, "it");
  EXPECT_GT(first.controller_epoch, 0u);
  for (const auto& broker : brokers_) {
    const ClusterInfo view =
        WaitForView(*broker, HasBrokersAndController({"1", "2", "3"}));
    EXPECT_EQ(view.controller, first.controller);
    EXPECT_EQ(view.controller_epoch, first.controller_epoch);
    for (const BrokerInfo& info : view.brokers) {
      EXPECT_TRUE(info.alive);
      EXPECT_NE(ById(view, info.node_id), nullptr)
          << "no broker listens at " << info.address;
    }
  }
}

TEST_F(ClusterTest, ABrokerKeepsItsNodeIdAcrossRestartsUnderANewIncarnation) {
  StartBrokers(2);
  WaitForView(*brokers_[0], HasBrokersAndController({"1", "2"}));
  BrokerProcess* second = brokers_[1].get();
  const int64_t before = RegistrationRevision("2");
  ASSERT_EQ(*second->Stop(), 0);
  ASSERT_TRUE(second->Restart().ok());
  const ClusterInfo view = WaitForView(*brokers_[0], [&](const ClusterInfo& v) {
    return NodeIds(v) == std::set<std::string>{"1", "2"} &&
           ById(v, "2") == second;
  });
  EXPECT_EQ(ById(view, "2"), second);
  EXPECT_GT(RegistrationRevision("2"), before);
  EXPECT_THAT(second->Log(), HasSubstr("broker 2 joined cluster it"));
}

TEST_F(ClusterTest, WhenTheControllerIsKilledAnotherTakesOver) {
  StartBrokers(3);
  const ClusterInfo before =
      WaitForView(*brokers_[0], HasBrokersAndController({"1", "2", "3"}));
  BrokerProcess* controller = ById(before, before.controller);
  ASSERT_NE(controller, nullptr);
  controller->Kill();
  BrokerProcess* survivor =
      brokers_[0].get() == controller ? brokers_[1].get() : brokers_[0].get();
  const ClusterInfo after = WaitForView(*survivor, [&](const ClusterInfo& v) {
    return !v.controller.empty() && v.controller != before.controller &&
           v.brokers.size() == 2;
  });
  EXPECT_GT(after.controller_epoch, before.controller_epoch);
  EXPECT_EQ(NodeIds(after).count(before.controller), 0u);
}

TEST_F(ClusterTest, ABrokerThatStopsCleanlyLeavesAtOnce) {
  // Sessions long enough that only a revoked lease explains a quick exit.
  for (int i = 0; i < 2; ++i) {
    ASSERT_NE(StartBroker(std::vector<std::string>{}, "60s"), nullptr);
  }
  const ClusterInfo before =
      WaitForView(*brokers_[0], HasBrokersAndController({"1", "2"}));
  BrokerProcess* controller = ById(before, before.controller);
  BrokerProcess* other =
      controller == brokers_[0].get() ? brokers_[1].get() : brokers_[0].get();
  ASSERT_EQ(*controller->Stop(), 0);
  const absl::Time stopped = absl::Now();
  const ClusterInfo after = WaitForView(*other, [&](const ClusterInfo& v) {
    return v.brokers.size() == 1 && v.controller == v.brokers[0].node_id;
  });
  // Far less than its session: it revoked its lease and resigned.
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(30));
  EXPECT_GT(after.controller_epoch, before.controller_epoch);
}

TEST_F(ClusterTest, ACopyOfALiveBrokersDataDirIsRefused) {
  BrokerProcess* live = StartBroker();
  ASSERT_NE(live, nullptr);
  WaitForView(*live, HasBrokersAndController({"1"}));
  const std::string copy = live->data_dir() + "-copy";
  std::filesystem::create_directories(copy);
  std::filesystem::copy_file(live->data_dir() + "/CLUSTER", copy + "/CLUSTER");
  std::vector<std::string> flags = ClusterFlags();
  flags.insert(flags.end(), {"--join-timeout", "3s"});
  absl::StatusOr<CommandResult> run = RunChorusd(copy, flags);
  std::filesystem::remove_all(copy);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_THAT(run->err, HasSubstr("node id 1 is registered by a live broker"));
  EXPECT_THAT(run->err, HasSubstr(live->address()));
  EXPECT_EQ(ById(*Describe(*live), "1"), live);
}

TEST_F(ClusterTest, AnotherClustersDataDirIsRefusedAndSoIsASingleNodeOnIt) {
  BrokerProcess* broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  ASSERT_EQ(*broker->Stop(), 0);
  absl::StatusOr<CommandResult> other =
      RunChorusd(broker->data_dir(), ClusterFlags("other"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->exit_code, 1);
  EXPECT_THAT(other->err,
              HasSubstr("belongs to broker 1 of cluster \"it\", not of "
                        "cluster \"other\""));
  absl::StatusOr<CommandResult> alone = RunChorusd(broker->data_dir(), {});
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(alone->exit_code, 1);
  EXPECT_THAT(alone->err, HasSubstr("start it with --etcd"));
}

TEST_F(ClusterTest, AnUnreachableEtcdIsRetriedForTheJoinTimeoutThenGivenUp) {
  etcd_->Kill(0);
  std::vector<std::string> flags = ClusterFlags();
  flags.insert(flags.end(), {"--join-timeout", "2s"});
  absl::StatusOr<CommandResult> run = RunChorusd(
      (std::filesystem::temp_directory_path() / "chorus-it-noetcd").string(),
      flags);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_THAT(run->err, HasSubstr("does not answer"));
  EXPECT_THAT(run->err, HasSubstr("did not answer for 2s"));
}

TEST_F(ClusterTest, ABrokerStartedWhileEtcdIsDownJoinsWhenItComesBack) {
  etcd_->Kill(0);
  // etcd comes back while the broker is starting. Its process dies with the
  // thread that starts it, so that thread waits for the test to end.
  std::promise<void> test_done;
  std::thread reviver([&, done = test_done.get_future()] {
    absl::SleepFor(absl::Seconds(2));
    EXPECT_TRUE(etcd_->Restart(0).ok());
    done.wait();
  });
  BrokerProcess* broker = StartBroker();
  absl::Cleanup end = [&] {
    test_done.set_value();
    reviver.join();
  };
  ASSERT_NE(broker, nullptr);
  WaitForView(*broker, HasBrokersAndController({"1"}));
  EXPECT_THAT(broker->Log(), HasSubstr("does not answer"));
}

TEST_F(ClusterTest, PublishAndSubscribeGoOnWhileEtcdIsDown) {
  BrokerProcess* broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  WaitForView(*broker, HasBrokersAndController({"1"}));
  auto client = ConnectOrDie(*broker);
  Collector live;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  auto sub = client->Subscribe("t.flow", options, live.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  PublishAll(*client, "t.flow", 100, "before-");

  etcd_->Kill(0);
  EXPECT_EQ(PublishAll(*client, "t.flow", 300, "during-").size(), 300u);
  EXPECT_TRUE(live.WaitFor(400));
  ASSERT_TRUE(etcd_->Restart(0).ok());
  EXPECT_EQ(PublishAll(*client, "t.flow", 100, "after-").size(), 100u);
  EXPECT_TRUE(live.WaitFor(500));
  EXPECT_EQ(live.Take().size(), 500u);
  // Still (or again) registered, with a controller.
  WaitForView(*broker, HasBrokersAndController({"1"}));
}

TEST_F(ClusterTest, ABrokerPausedPastItsSessionJoinsAgainWhenItResumes) {
  StartBrokers(2);
  WaitForView(*brokers_[0], HasBrokersAndController({"1", "2"}));
  BrokerProcess* paused = brokers_[1].get();
  const int64_t before = RegistrationRevision("2");
  kill(paused->pid(), SIGSTOP);
  WaitForView(*brokers_[0], [](const ClusterInfo& v) {
    return NodeIds(v) == std::set<std::string>{"1"} && v.controller == "1";
  });
  kill(paused->pid(), SIGCONT);
  WaitForView(*brokers_[0], HasBrokersAndController({"1", "2"}));
  EXPECT_GT(RegistrationRevision("2"), before);
  EXPECT_THAT(paused->Log(), HasSubstr("lost its registration"));
}

TEST_F(ClusterTest, TheClusterRidesOutTheLossOfOneOfThreeEtcdMembers) {
  ASSERT_NO_FATAL_FAILURE(StartEtcd(3));
  // A session as deploy/cluster.sh runs it: moving to another member (and
  // the members electing a new leader) must fit in it, with room for a
  // sanitizer build's slowness, which a 2 s session did not leave.
  for (int i = 0; i < 3; ++i) ASSERT_NE(StartBroker({}, "6s"), nullptr);
  const ClusterInfo before =
      WaitForView(*brokers_[0], HasBrokersAndController({"1", "2", "3"}));
  etcd_->Kill(0);
  // Longer than a session: every broker kept its lease through the others.
  absl::SleepFor(absl::Seconds(7));
  for (const auto& broker : brokers_) {
    const ClusterInfo view =
        WaitForView(*broker, HasBrokersAndController({"1", "2", "3"}));
    EXPECT_EQ(view.controller_epoch, before.controller_epoch);
  }
  // And the controller still fails over.
  ById(before, before.controller)->Kill();
  BrokerProcess* survivor = nullptr;
  for (const auto& broker : brokers_) {
    if (broker.get() != ById(before, before.controller))
      survivor = broker.get();
  }
  WaitForView(
      *survivor,
      [&](const ClusterInfo& v) {
        return v.brokers.size() == 2 && !v.controller.empty() &&
               v.controller != before.controller;
      },
      absl::Seconds(30));
}

TEST_F(ClusterTest, ClusterStatusShowsTheBrokersAndTheController) {
  StartBrokers(2);
  const ClusterInfo view =
      WaitForView(*brokers_[1], HasBrokersAndController({"1", "2"}));
  absl::StatusOr<CommandResult> status =
      RunCommand({ChorusCliPath(), "--server", brokers_[1]->address(),
                  "cluster", "status"},
                 "", absl::Seconds(20));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 0) << status->err;
  EXPECT_EQ(
      status->out,
      absl::StrCat("cluster: it\ncontroller: ", view.controller, " (epoch ",
                   view.controller_epoch, ")\n1\t", ById(view, "1")->address(),
                   "\t-\talive\t0 partitions, 0 led\n2\t",
                   ById(view, "2")->address(),
                   "\t-\talive\t0 partitions, 0 led\n"));
}

TEST_F(ClusterTest, TheRackIsPartOfTheRegistration) {
  BrokerProcess* broker = StartBroker({"--rack", "eu-1a"});
  ASSERT_NE(broker, nullptr);
  const ClusterInfo view = WaitForView(*broker, HasBrokersAndController({"1"}));
  ASSERT_EQ(view.brokers.size(), 1u);
  EXPECT_EQ(view.brokers[0].rack, "eu-1a");
}

}  // namespace
}  // namespace chorus::testing
