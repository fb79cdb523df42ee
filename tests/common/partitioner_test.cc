#include "common/partitioner.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace chorus {
namespace {

TEST(PartitionerTest, SameKeyAlwaysSamePartition) {
  for (int i = 0; i < 100; ++i) {
    const std::string key = "svc-" + std::to_string(i);
    EXPECT_EQ(PartitionForKey(key, 7), PartitionForKey(key, 7));
    EXPECT_LT(PartitionForKey(key, 7), 7u);
  }
}

TEST(PartitionerTest, IsStableAcrossBuilds) {
  // FNV-1a 64 of "eu-1" is fixed forever; a change here moves keys.
  EXPECT_EQ(PartitionForKey("eu-1", 1000),
            421u);  // 14811799728671962421 % 1000
  EXPECT_EQ(PartitionForKey("", 5), 14695981039346656037ull % 5);
}

TEST(PartitionerTest, SpreadsKeysOverPartitions) {
  std::set<uint32_t> used;
  for (int i = 0; i < 200; ++i) {
    used.insert(PartitionForKey("key-" + std::to_string(i), 8));
  }
  EXPECT_EQ(used.size(), 8u);
}

}  // namespace
}  // namespace chorus
