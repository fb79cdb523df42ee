#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "asio.hpp"
#include "broker/shard.h"
#include "gtest/gtest.h"
#include "storage/partition_log.h"
#include "storage/store.h"
#include "tests/storage/storage_test_util.h"

namespace chorus::broker {
namespace {

using storage::FsyncMode;

// A log on a store under each fsync mode, and a group commit on `io`.
class GroupCommitTest : public ::testing::TestWithParam<FsyncMode> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, storage::Store::Open({.data_dir = dir_.path(),
                                                       .fsync = GetParam()}));
    ASSERT_OK_AND_ASSIGN(log_, storage::PartitionLog::Open(store_.get(), 1));
    commit_ = std::make_unique<GroupCommit>(store_.get(), io_.get_executor());
  }

  // Runs `turn` on `io` until a callback stops it.
  void Run(absl::AnyInvocable<void()> turn) {
    asio::post(io_, std::move(turn));
    auto guard = asio::make_work_guard(io_);
    io_.run();
  }

  // Appends one record to the log in this turn's batch.
  void AppendOne(GroupCommit::Done done) {
    std::string value;
    log_->Append("record", 1, "p", 1000, commit_->Batch(), &value);
    commit_->OnStored(std::move(done));
  }

  size_t StoredBatches() {
    std::vector<std::string> batches;
    EXPECT_TRUE(log_->Read(0, log_->next_offset(), 1 << 20, &batches).ok());
    return batches.size();
  }

  storage::ScopedTempDir dir_;
  // Outlives the store: under fsync=always the store's sync thread posts
  // the callbacks here, and closing the store joins that thread.
  asio::io_context io_{1};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<storage::PartitionLog> log_;
  std::unique_ptr<GroupCommit> commit_;
};

// A callback of one commit that appends again (as a stale marker or a dead
// letter does) must see its write committed by the next turn, not dropped
// with the batch that was just written.
TEST_P(GroupCommitTest, AppendsStagedByACallbackAreCommittedNext) {
  std::vector<absl::Status> stored;
  Run([&] {
    AppendOne([&](absl::Status first) {
      stored.push_back(first);
      AppendOne([&](absl::Status second) {
        stored.push_back(second);
        io_.stop();
      });
    });
  });
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_TRUE(stored[0].ok()) << stored[0];
  EXPECT_TRUE(stored[1].ok()) << stored[1];
  std::vector<std::string> batches;
  ASSERT_TRUE(log_->Read(0, 2, 1 << 20, &batches).ok());
  ASSERT_EQ(batches.size(), 2u) << "the second append was not stored";
  ASSERT_OK_AND_ASSIGN(storage::StoredBatchView second,
                       storage::ParseStoredBatch(batches[1]));
  EXPECT_EQ(second.header.base_offset, 1u);
}

// What a BeforeCommit hook stages rides in the commit of its turn, after
// the turn's appends.
TEST_P(GroupCommitTest, BeforeCommitStagesIntoTheSameCommit) {
  size_t batches_when_stored = 0;
  Run([&] {
    AppendOne([&](absl::Status status) {
      EXPECT_TRUE(status.ok()) << status;
      batches_when_stored = StoredBatches();
      io_.stop();
    });
    commit_->BeforeCommit([&](storage::CommitBatch* batch) {
      std::string value;
      log_->Append("summary", 1, "p", 1000, batch, &value);
    });
  });
  EXPECT_EQ(batches_when_stored, 2u);
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
