#include "broker/cluster/placement.h"

#include <set>

#include "gtest/gtest.h"

namespace chorus::cluster {
namespace {

TEST(PlacementTest, NodeIdsOrderAsNumbers) {
  EXPECT_TRUE(NodeIdLess("2", "10"));
  EXPECT_FALSE(NodeIdLess("10", "2"));
  EXPECT_TRUE(NodeIdLess("10", "11"));
  EXPECT_FALSE(NodeIdLess("3", "3"));
}

TEST(PlacementTest, LeadersSpreadEvenlyOverTheBrokers) {
  std::map<std::string, int> load;
  auto placed = AssignReplicas({"1", "2", "3"}, load, 6, 1);
  ASSERT_EQ(placed.size(), 6u);
  std::map<std::string, int> leaders;
  for (uint32_t p = 0; p < placed.size(); ++p) {
    EXPECT_EQ(placed[p].partition(), p);
    ASSERT_EQ(placed[p].replicas_size(), 1);
    EXPECT_EQ(placed[p].replicas(0), placed[p].leader());
    ++leaders[placed[p].leader()];
  }
  EXPECT_EQ(leaders,
            (std::map<std::string, int>{{"1", 2}, {"2", 2}, {"3", 2}}));
  EXPECT_EQ(load, leaders);
}

TEST(PlacementTest, TheLeastLoadedBrokerGoesFirst) {
  std::map<std::string, int> load = {{"1", 5}, {"2", 0}, {"10", 1}};
  auto placed = AssignReplicas({"1", "2", "10"}, load, 3, 1);
  ASSERT_EQ(placed.size(), 3u);
  EXPECT_EQ(placed[0].leader(), "2");
  EXPECT_EQ(placed[1].leader(), "2");  // 1 each now: "2" before "10"
  EXPECT_EQ(placed[2].leader(), "10");
}

TEST(PlacementTest, ReplicasAreDistinctAndCappedByTheBrokers) {
  std::map<std::string, int> load;
  auto placed = AssignReplicas({"1", "2"}, load, 4, 3);
  for (const wire::PartitionMetadata& partition : placed) {
    ASSERT_EQ(partition.replicas_size(), 2);
    std::set<std::string> distinct(partition.replicas().begin(),
                                   partition.replicas().end());
    EXPECT_EQ(distinct.size(), 2u);
    EXPECT_EQ(partition.replicas(0), partition.leader());
  }
  EXPECT_EQ(load["1"] + load["2"], 8);
}

TEST(PlacementTest, NoBrokersPlacesNothing) {
  std::map<std::string, int> load;
  EXPECT_TRUE(AssignReplicas({}, load, 3, 1).empty());
}

}  // namespace
}  // namespace chorus::cluster
