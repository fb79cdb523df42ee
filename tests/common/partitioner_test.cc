#include "common/partitioner.h"

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace chorus {
namespace {

TEST(PartitionerTest, SameKeyAlwaysSamePartition) {
  // The partition depends on the key's bytes only: not on where they are
  // held, nor on which keys were partitioned before.
  std::vector<uint32_t> first;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "svc-" + std::to_string(i);
    first.push_back(PartitionForKey(key, 7));
    EXPECT_LT(first.back(), 7u);
  }
  std::string all;  // every key again, back to back in one buffer
  std::vector<std::pair<size_t, size_t>> spans;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "svc-" + std::to_string(i);
    spans.emplace_back(all.size(), key.size());
    all += key;
  }
  for (int i = 99; i >= 0; --i) {
    const std::string_view key =
        std::string_view(all).substr(spans[i].first, spans[i].second);
    EXPECT_EQ(PartitionForKey(key, 7), first[i]) << key;
  }
  // FNV-1a 64 of the key modulo 7, computed independently.
  EXPECT_EQ(first[0], 0u);
  EXPECT_EQ(first[1], 3u);
  EXPECT_EQ(first[2], 6u);
  EXPECT_EQ(first[3], 2u);
  EXPECT_EQ(first[4], 5u);
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
