#include "broker/cluster/broker_identity.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"

namespace chorus::cluster {
namespace {

class BrokerIdentityTest : public etcd::EtcdTest {
 protected:
  void SetUp() override {
    etcd::EtcdTest::SetUp();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "chorus-id-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string Dir(const std::string& name) { return root_ + "/" + name; }

  std::string root_;
  const ClusterKeys keys_{"c"};
};

TEST_F(BrokerIdentityTest, EachNewDataDirGetsTheNextNodeIdAndKeepsIt) {
  absl::StatusOr<BrokerIdentity> a =
      LoadOrAssignIdentity(Dir("a"), "c", *client_, keys_);
  absl::StatusOr<BrokerIdentity> b =
      LoadOrAssignIdentity(Dir("b"), "c", *client_, keys_);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->node_id, "1");
  EXPECT_EQ(b->node_id, "2");
  EXPECT_EQ(a->cluster, "c");

  absl::StatusOr<BrokerIdentity> again =
      LoadOrAssignIdentity(Dir("a"), "c", *client_, keys_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->node_id, "1");
  absl::StatusOr<std::optional<BrokerIdentity>> read = ReadIdentity(Dir("b"));
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->node_id, "2");
}

TEST_F(BrokerIdentityTest, ConcurrentFirstStartsNeverShareAnId) {
  std::vector<std::thread> starts;
  std::vector<std::string> ids(6);
  for (int i = 0; i < 6; ++i) {
    starts.emplace_back([&, i] {
      absl::StatusOr<BrokerIdentity> id = LoadOrAssignIdentity(
          Dir("d" + std::to_string(i)), "c", *client_, keys_);
      if (id.ok()) ids[i] = id->node_id;
    });
  }
  for (std::thread& start : starts) start.join();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST_F(BrokerIdentityTest, AnotherClustersDataDirIsRefused) {
  ASSERT_TRUE(LoadOrAssignIdentity(Dir("a"), "c", *client_, keys_).ok());
  absl::StatusOr<BrokerIdentity> other =
      LoadOrAssignIdentity(Dir("a"), "d", *client_, ClusterKeys("d"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("cluster \"c\""),
            absl::string_view::npos)
      << other.status();
}

TEST_F(BrokerIdentityTest, ADamagedIdentityFileIsReportedNotReplaced) {
  std::filesystem::create_directories(Dir("a"));
  std::ofstream(Dir("a") + "/CLUSTER") << "cluster c\n";
  absl::StatusOr<BrokerIdentity> id =
      LoadOrAssignIdentity(Dir("a"), "c", *client_, keys_);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kDataLoss) << id.status();
}

TEST(ReadIdentityTest, ADataDirWithoutAnIdentityHasNone) {
  absl::StatusOr<std::optional<BrokerIdentity>> none =
      ReadIdentity("/nonexistent/chorus");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace chorus::cluster
