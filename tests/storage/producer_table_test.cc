#include "storage/producer_table.h"

#include <memory>
#include <utility>

#include "gtest/gtest.h"
#include "tests/storage/storage_test_util.h"

namespace chorus::storage {
namespace {

using Verdict = ProducerTable::Verdict;

constexpr uint64_t kPartition = 7;
constexpr uint64_t kProducer = 0xabcdef0123456789;

absl::Status CommitNow(Store& store, CommitBatch commit) {
  absl::Status result = absl::UnknownError("commit did not call back");
  // Under FsyncMode::kNever the store calls back inline.
  store.Commit(std::move(commit), [&](absl::Status s) { result = s; });
  return result;
}

class ProducerTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(store_, Store::Open({.data_dir = dir_.path(),
                                              .fsync = FsyncMode::kNever}));
    ASSERT_OK_AND_ASSIGN(table_, ProducerTable::Load(store_.get(), kPartition));
  }

  // Writes the table's rows and loads it again, as a restart would.
  void Reopen() {
    CommitBatch commit;
    table_->StageWrites(&commit);
    ASSERT_OK(CommitNow(*store_, std::move(commit)));
    ASSERT_OK_AND_ASSIGN(table_, ProducerTable::Load(store_.get(), kPartition));
  }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ProducerTable> table_;
};

TEST_F(ProducerTableTest, AnUnknownProducerStartsAtSequenceZero) {
  EXPECT_EQ(table_->Classify(kProducer, 0, 3).kind, Verdict::kNext);
  const Verdict ahead = table_->Classify(kProducer, 5, 3);
  EXPECT_EQ(ahead.kind, Verdict::kGap);
  EXPECT_EQ(ahead.expected, 0u);
}

TEST_F(ProducerTableTest, ARetryIsADuplicateWithItsOriginalOffsets) {
  table_->Record(kProducer, {.sequence = 0, .base_offset = 100, .count = 3},
                 1000);
  table_->Record(kProducer, {.sequence = 3, .base_offset = 250, .count = 2},
                 1001);
  EXPECT_EQ(table_->Classify(kProducer, 5, 4).kind, Verdict::kNext);
  const Verdict first = table_->Classify(kProducer, 0, 3);
  ASSERT_EQ(first.kind, Verdict::kDuplicate);
  EXPECT_EQ(first.original.base_offset, 100u);
  EXPECT_EQ(first.original.count, 3u);
  const Verdict second = table_->Classify(kProducer, 3, 2);
  ASSERT_EQ(second.kind, Verdict::kDuplicate);
  EXPECT_EQ(second.original.base_offset, 250u);
  // Another producer is unaffected.
  EXPECT_EQ(table_->Classify(kProducer + 1, 0, 1).kind, Verdict::kNext);
}

TEST_F(ProducerTableTest, ASkippedSequenceIsAGapNamingTheExpectedOne) {
  table_->Record(kProducer, {.sequence = 0, .base_offset = 0, .count = 4}, 1);
  const Verdict verdict = table_->Classify(kProducer, 9, 1);
  EXPECT_EQ(verdict.kind, Verdict::kGap);
  EXPECT_EQ(verdict.expected, 4u);
}

TEST_F(ProducerTableTest, ARetryThatIsNotAStoredBatchIsAMismatch) {
  table_->Record(kProducer, {.sequence = 0, .base_offset = 0, .count = 4}, 1);
  EXPECT_EQ(table_->Classify(kProducer, 2, 2).kind, Verdict::kMismatch);
  EXPECT_EQ(table_->Classify(kProducer, 0, 3).kind, Verdict::kMismatch);
}

TEST_F(ProducerTableTest, BatchesOlderThanTheWindowAreForgotten) {
  const uint64_t total = ProducerTable::kBatchesKept + 2;
  for (uint64_t i = 0; i < total; ++i) {
    table_->Record(kProducer,
                   {.sequence = i, .base_offset = 10 * i, .count = 1}, 1);
  }
  EXPECT_EQ(table_->Classify(kProducer, 0, 1).kind, Verdict::kForgotten);
  EXPECT_EQ(table_->Classify(kProducer, 1, 1).kind, Verdict::kForgotten);
  const Verdict oldest_kept = table_->Classify(kProducer, 2, 1);
  ASSERT_EQ(oldest_kept.kind, Verdict::kDuplicate);
  EXPECT_EQ(oldest_kept.original.base_offset, 20u);
  EXPECT_EQ(table_->Classify(kProducer, total, 1).kind, Verdict::kNext);
}

TEST_F(ProducerTableTest, SurvivesAReopen) {
  for (uint64_t i = 0; i < ProducerTable::kBatchesKept + 3; ++i) {
    table_->Record(kProducer,
                   {.sequence = 2 * i, .base_offset = 5 * i, .count = 2}, 1);
  }
  table_->Record(kProducer + 1, {.sequence = 0, .base_offset = 7, .count = 1},
                 2);
  Reopen();
  EXPECT_EQ(table_->size(), 2u);
  const uint64_t next = 2 * (ProducerTable::kBatchesKept + 3);
  EXPECT_EQ(table_->Classify(kProducer, next, 1).kind, Verdict::kNext);
  const Verdict last = table_->Classify(kProducer, next - 2, 2);
  ASSERT_EQ(last.kind, Verdict::kDuplicate);
  EXPECT_EQ(last.original.base_offset, 5 * (ProducerTable::kBatchesKept + 2));
  EXPECT_EQ(table_->Classify(kProducer, 4, 2).kind, Verdict::kForgotten);
  EXPECT_EQ(table_->Classify(kProducer + 1, 0, 1).kind, Verdict::kDuplicate);
}

TEST_F(ProducerTableTest, StagesOneRowPerProducerPerCommit) {
  table_->Record(kProducer, {.sequence = 0, .base_offset = 0, .count = 1}, 1);
  CommitBatch one;
  table_->StageWrites(&one);
  EXPECT_FALSE(table_->HasWrites());
  // Three more batches of the same producer: still one put, whose row holds
  // three more kept batches (12 bytes each).
  for (uint64_t i = 1; i <= 3; ++i) {
    table_->Record(kProducer, {.sequence = i, .base_offset = i, .count = 1}, 1);
  }
  EXPECT_TRUE(table_->HasWrites());
  CommitBatch three;
  table_->StageWrites(&three);
  EXPECT_EQ(three.ByteSize(), one.ByteSize() + 3 * 12);
  CommitBatch none;
  table_->StageWrites(&none);
  EXPECT_TRUE(none.empty());
}

TEST_F(ProducerTableTest, ForgetFromDropsBatchesThatWereNeverStored) {
  table_->Record(kProducer, {.sequence = 0, .base_offset = 0, .count = 2}, 1);
  Reopen();
  table_->Record(kProducer, {.sequence = 2, .base_offset = 2, .count = 3}, 1);
  table_->Record(kProducer + 1, {.sequence = 0, .base_offset = 5, .count = 1},
                 1);
  // The commit holding offsets 2.. failed.
  table_->ForgetFrom(2);
  EXPECT_EQ(table_->Classify(kProducer, 2, 3).kind, Verdict::kNext);
  EXPECT_EQ(table_->Classify(kProducer, 0, 2).kind, Verdict::kDuplicate);
  EXPECT_EQ(table_->Classify(kProducer + 1, 0, 1).kind, Verdict::kNext);
}

TEST_F(ProducerTableTest, ForgetsTheProducerThatAppendedLongestAgo) {
  for (uint64_t p = 1; p <= ProducerTable::kMaxProducers; ++p) {
    table_->Record(p, {.sequence = 0, .base_offset = p, .count = 1},
                   /*now_ms=*/static_cast<int64_t>(1000 + p));
  }
  // Producer 1 appends again: producer 2 is now the least recent.
  table_->Record(1, {.sequence = 1, .base_offset = 5000, .count = 1}, 9000);
  table_->Record(ProducerTable::kMaxProducers + 1,
                 {.sequence = 0, .base_offset = 6000, .count = 1}, 9001);
  EXPECT_EQ(table_->size(), ProducerTable::kMaxProducers);
  EXPECT_EQ(table_->Classify(2, 1, 1).kind, Verdict::kGap);  // unknown
  EXPECT_EQ(table_->Classify(1, 2, 1).kind, Verdict::kNext);
  Reopen();
  EXPECT_EQ(table_->size(), ProducerTable::kMaxProducers);
  EXPECT_EQ(table_->Classify(2, 0, 1).kind, Verdict::kNext);
}

TEST_F(ProducerTableTest, RowsGoWithTheirPartition) {
  table_->Record(kProducer, {.sequence = 0, .base_offset = 0, .count = 1}, 1);
  Reopen();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ProducerTable> neighbour,
                       ProducerTable::Load(store_.get(), kPartition + 1));
  EXPECT_EQ(neighbour->size(), 0u);
  CommitBatch commit;
  store_->StageDeletePartition(kPartition, &commit);
  ASSERT_OK(CommitNow(*store_, std::move(commit)));
  ASSERT_OK_AND_ASSIGN(table_, ProducerTable::Load(store_.get(), kPartition));
  EXPECT_EQ(table_->size(), 0u);
}

}  // namespace
}  // namespace chorus::storage
