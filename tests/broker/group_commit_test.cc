#include <memory>
#include <string>
#include <vector>

#include "asio.hpp"
#include "broker/shard.h"
#include "gtest/gtest.h"
#include "storage/partition_log.h"
#include "storage/store.h"
#include "tests/storage/storage_test_util.h"

namespace chorus::broker {
namespace {

using storage::FsyncMode;

class GroupCommitTest : public ::testing::TestWithParam<FsyncMode> {};

// Appends one record to `log` in this turn's batch.
void AppendOne(storage::PartitionLog& log, GroupCommit& commit,
               GroupCommit::Done done) {
  std::string value;
  log.Append("record", 1, "p", 1000, commit.Batch(), &value);
  commit.OnStored(std::move(done));
}

// A callback of one commit that appends again (as a stale marker or a dead
// letter does) must see its write committed by the next turn, not dropped
// with the batch that was just written.
TEST_P(GroupCommitTest, AppendsStagedByACallbackAreCommittedNext) {
  storage::ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<storage::Store> store,
      storage::Store::Open({.data_dir = dir.path(), .fsync = GetParam()}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::PartitionLog> log,
                       storage::PartitionLog::Open(store.get(), 1));
  asio::io_context io(1);
  GroupCommit commit(store.get(), io.get_executor());
  std::vector<absl::Status> stored;
  asio::post(io, [&] {
    AppendOne(*log, commit, [&](absl::Status first) {
      stored.push_back(first);
      AppendOne(*log, commit, [&](absl::Status second) {
        stored.push_back(second);
        io.stop();
      });
    });
  });
  auto guard = asio::make_work_guard(io);
  io.run();

  ASSERT_EQ(stored.size(), 2u);
  EXPECT_TRUE(stored[0].ok()) << stored[0];
  EXPECT_TRUE(stored[1].ok()) << stored[1];
  std::vector<std::string> batches;
  ASSERT_TRUE(log->Read(0, 2, 1 << 20, &batches).ok());
  ASSERT_EQ(batches.size(), 2u) << "the second append was not stored";
  ASSERT_OK_AND_ASSIGN(storage::StoredBatchView second,
                       storage::ParseStoredBatch(batches[1]));
  EXPECT_EQ(second.header.base_offset, 1u);
}

INSTANTIATE_TEST_SUITE_P(AllModes, GroupCommitTest,
                         ::testing::Values(FsyncMode::kAlways,
                                           FsyncMode::kInterval,
                                           FsyncMode::kNever),
                         [](const auto& info) {
                           return std::string(
                               storage::FsyncModeName(info.param));
                         });

}  // namespace
}  // namespace chorus::broker
