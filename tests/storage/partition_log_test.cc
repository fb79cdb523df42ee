#include "storage/partition_log.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/records.h"
#include "rocksdb/db.h"
#include "storage/store.h"
#include "storage/stored_batch.h"
#include "tests/storage/storage_test_util.h"

namespace chorus::storage {
namespace {

// A RecordSet of `count` records.
std::string Records(uint32_t count, size_t value_size = 10) {
  std::string records;
  for (uint32_t i = 0; i < count; ++i) {
    proto::AppendRecord(absl::StrCat("k", i), std::string(value_size, 'v'), {},
                        &records);
  }
  return records;
}

class PartitionLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // Closes (if open) and opens the store again, as a broker restart does.
  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open({.data_dir = dir_.path(), .fsync = FsyncMode::kNever});
    ASSERT_OK(store);
    store_ = *std::move(store);
  }

  std::unique_ptr<PartitionLog> OpenLog(uint64_t partition_id) {
    absl::StatusOr<std::unique_ptr<PartitionLog>> log =
        PartitionLog::Open(store_.get(), partition_id);
    EXPECT_OK(log);
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Appends one batch of `count` records and commits it.
  StoredBatchHeader Append(PartitionLog& log, uint32_t count, int64_t now_ms,
                           size_t value_size = 10) {
    CommitBatch commit;
    std::string value;
    const StoredBatchHeader header = log.Append(
        Records(count, value_size), count, "pub", now_ms, &commit, &value);
    absl::Status committed = absl::UnknownError("not called");
    store_->Commit(std::move(commit), [&](absl::Status s) { committed = s; });
    EXPECT_OK(committed);
    return header;
  }

  // Stages the deletion of every batch of `log` and commits it.
  void DeleteAll(PartitionLog& log) {
    CommitBatch commit;
    log.StageDeleteAll(&commit);
    absl::Status committed = absl::UnknownError("not called");
    store_->Commit(std::move(commit), [&](absl::Status s) { committed = s; });
    EXPECT_OK(committed);
  }

  // Every batch header of the partition from `from` on, read from the
  // store; the values stay in values_ until the next call.
  std::vector<StoredBatchHeader> Headers(const PartitionLog& log,
                                         uint64_t from = 0) {
    std::vector<StoredBatchHeader> headers;
    values_.clear();
    EXPECT_OK(log.Read(from, UINT64_MAX, SIZE_MAX, &values_));
    for (const std::string& value : values_) {
      absl::StatusOr<StoredBatchView> view = ParseStoredBatch(value);
      EXPECT_OK(view);
      if (view.ok()) headers.push_back(view->header);
    }
    return headers;
  }

  std::vector<uint64_t> BaseOffsets(const PartitionLog& log) {
    std::vector<uint64_t> offsets;
    for (const StoredBatchHeader& h : Headers(log)) {
      offsets.push_back(h.base_offset);
    }
    return offsets;
  }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<std::string> values_;  // keeps the views of Headers() valid
};

using ::testing::ElementsAre;

TEST_F(PartitionLogTest, EmptyPartitionStartsAtZero) {
  std::unique_ptr<PartitionLog> log = OpenLog(7);
  EXPECT_EQ(log->partition_id(), 7u);
  EXPECT_EQ(log->start_offset(), 0u);
  EXPECT_EQ(log->next_offset(), 0u);
  std::vector<std::string> batches;
  ASSERT_OK(log->Read(0, 100, 1 << 20, &batches));
  EXPECT_TRUE(batches.empty());
  ASSERT_OK_AND_ASSIGN(uint64_t size, log->SizeBytes());
  EXPECT_EQ(size, 0u);
}

TEST_F(PartitionLogTest, AppendStampsOffsetsAndMonotonicTimestamps) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  CommitBatch commit;
  std::string values = "earlier";
  const std::string records = Records(3);
  const StoredBatchHeader first =
      log->Append(records, 3, "svc-a", 2000, &commit, &values);
  const size_t first_end = values.size();
  const StoredBatchHeader second =
      log->Append(Records(2), 2, "svc-b", 1500, &commit, &values);
  EXPECT_EQ(first.base_offset, 0u);
  EXPECT_EQ(first.timestamp_ms, 2000);
  EXPECT_EQ(first.count, 3u);
  EXPECT_EQ(first.publisher, "svc-a");
  EXPECT_EQ(second.base_offset, 3u);
  EXPECT_EQ(second.timestamp_ms, 2000);  // the clock went back: held
  EXPECT_EQ(log->next_offset(), 5u);
  EXPECT_EQ(log->start_offset(), 0u);

  // `values` gained both encodings after what it held.
  ASSERT_EQ(values.substr(0, 7), "earlier");
  ASSERT_OK_AND_ASSIGN(
      StoredBatchView view,
      ParseStoredBatch(std::string_view(values).substr(7, first_end - 7)));
  EXPECT_EQ(view.records, records);
  EXPECT_EQ(view.header.publisher, "svc-a");

  absl::Status committed = absl::UnknownError("not called");
  store_->Commit(std::move(commit), [&](absl::Status s) { committed = s; });
  ASSERT_OK(committed);
  EXPECT_THAT(BaseOffsets(*log), ElementsAre(0u, 3u));
}

TEST_F(PartitionLogTest, ReadStartsAtTheBatchHoldingFrom) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  Append(*log, 5, 100);  // 0..4
  Append(*log, 5, 200);  // 5..9
  Append(*log, 5, 300);  // 10..14
  std::vector<std::string> batches;
  ASSERT_OK(log->Read(7, 15, 1 << 20, &batches));
  ASSERT_EQ(batches.size(), 2u);
  ASSERT_OK_AND_ASSIGN(StoredBatchView view, ParseStoredBatch(batches[0]));
  EXPECT_EQ(view.header.base_offset, 5u);
  EXPECT_EQ(view.header.timestamp_ms, 200);

  // `end` excludes batches starting at or after it.
  batches.clear();
  ASSERT_OK(log->Read(4, 10, 1 << 20, &batches));
  ASSERT_EQ(batches.size(), 2u);
  ASSERT_OK_AND_ASSIGN(view, ParseStoredBatch(batches[1]));
  EXPECT_EQ(view.header.base_offset, 5u);

  batches.clear();
  ASSERT_OK(log->Read(9, 9, 1 << 20, &batches));
  EXPECT_TRUE(batches.empty());
  ASSERT_OK(log->Read(15, 100, 1 << 20, &batches));
  EXPECT_TRUE(batches.empty());
}

TEST_F(PartitionLogTest, ReadStopsOnceMaxBytesIsReached) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  for (int i = 0; i < 10; ++i) Append(*log, 1, 100, /*value_size=*/1000);
  std::vector<std::string> batches;
  ASSERT_OK(log->Read(0, 10, 0, &batches));
  EXPECT_EQ(batches.size(), 1u);  // always at least one

  batches.clear();
  ASSERT_OK(log->Read(0, 10, 2500, &batches));
  EXPECT_EQ(batches.size(), 3u);  // the third crosses 2500
  size_t bytes = 0;
  for (const std::string& batch : batches) bytes += batch.size();
  EXPECT_GE(bytes, 2500u);
  EXPECT_LT(bytes - batches.back().size(), 2500u);
}

TEST_F(PartitionLogTest, ReadsAcrossManyBatches) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  for (uint32_t i = 0; i < 300; ++i) Append(*log, 1 + i % 4, 1000 + i);
  std::vector<StoredBatchHeader> headers = Headers(*log);
  ASSERT_EQ(headers.size(), 300u);
  uint64_t expected = 0;
  for (const StoredBatchHeader& header : headers) {
    EXPECT_EQ(header.base_offset, expected);
    expected += header.count;
  }
  EXPECT_EQ(expected, log->next_offset());
}

TEST_F(PartitionLogTest, PartitionsAreIsolated) {
  std::unique_ptr<PartitionLog> a = OpenLog(1);
  std::unique_ptr<PartitionLog> b = OpenLog(2);
  std::unique_ptr<PartitionLog> c = OpenLog(3);
  for (int i = 0; i < 5; ++i) {
    Append(*a, 2, 100 + i);
    Append(*b, 3, 100 + i);
    Append(*c, 1, 100 + i);
  }
  EXPECT_THAT(BaseOffsets(*a), ElementsAre(0u, 2u, 4u, 6u, 8u));
  EXPECT_THAT(BaseOffsets(*b), ElementsAre(0u, 3u, 6u, 9u, 12u));

  // Retention and deletion of the middle one leave its neighbours alone.
  ASSERT_OK(b->ApplyRetention({.max_messages = 1}, 1000));
  DeleteAll(*b);
  EXPECT_TRUE(Headers(*b).empty());
  EXPECT_THAT(BaseOffsets(*a), ElementsAre(0u, 2u, 4u, 6u, 8u));
  EXPECT_THAT(BaseOffsets(*c), ElementsAre(0u, 1u, 2u, 3u, 4u));

  a.reset();
  c.reset();
  Reopen();
  a = OpenLog(1);
  c = OpenLog(3);
  EXPECT_EQ(a->next_offset(), 10u);
  EXPECT_EQ(c->next_offset(), 5u);
  EXPECT_EQ(c->start_offset(), 0u);
}

TEST_F(PartitionLogTest, ReopenRecoversOffsetsAndLastTimestamp) {
  {
    std::unique_ptr<PartitionLog> log = OpenLog(5);
    Append(*log, 4, 1000);
    Append(*log, 6, 3000);
    Append(*log, 1, 2000);  // stamped 3000
    ASSERT_OK_AND_ASSIGN(uint64_t start,
                         log->ApplyRetention({.max_messages = 7}, 3000));
    EXPECT_EQ(start, 4u);
  }
  Reopen();
  std::unique_ptr<PartitionLog> log = OpenLog(5);
  EXPECT_EQ(log->start_offset(), 4u);
  EXPECT_EQ(log->next_offset(), 11u);
  const StoredBatchHeader next = Append(*log, 1, 2500);
  EXPECT_EQ(next.base_offset, 11u);
  EXPECT_EQ(next.timestamp_ms, 3000);  // recovered from the last batch
}

TEST_F(PartitionLogTest, OpenRejectsAnUndecodableLastBatch) {
  {
    std::unique_ptr<PartitionLog> log = OpenLog(5);
    Append(*log, 2, 1000);
  }
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->log_family(),
                        LogKey(5, 2), "not a stored batch")
                  .ok());
  EXPECT_EQ(PartitionLog::Open(store_.get(), 5).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(PartitionLogTest, FindOffsetAtTime) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  Append(*log, 3, 100);  // 0..2
  Append(*log, 3, 200);  // 3..5
  Append(*log, 3, 200);  // 6..8
  Append(*log, 3, 300);  // 9..11
  Append(*log, 3, 400);  // 12..14
  const uint64_t end = log->next_offset();
  auto find = [&](int64_t time_ms, uint64_t start = 0) {
    absl::StatusOr<uint64_t> offset =
        log->FindOffsetAtTime(time_ms, start, end);
    EXPECT_OK(offset);
    return offset.value_or(UINT64_MAX);
  };
  EXPECT_EQ(find(300), 9u);     // exact
  EXPECT_EQ(find(200), 3u);     // first of equal timestamps
  EXPECT_EQ(find(250), 9u);     // between
  EXPECT_EQ(find(50), 0u);      // before the first
  EXPECT_EQ(find(401), end);    // after the last
  EXPECT_EQ(find(100, 4), 4u);  // start inside a matching batch
  EXPECT_EQ(find(200, 7), 7u);
  EXPECT_EQ(find(300, 10), 10u);
  ASSERT_OK_AND_ASSIGN(uint64_t offset, log->FindOffsetAtTime(300, 0, 9));
  EXPECT_EQ(offset, 9u);  // nothing before `end` matches
  ASSERT_OK_AND_ASSIGN(offset, log->FindOffsetAtTime(100, 20, 30));
  EXPECT_EQ(offset, 30u);  // empty range past the log

  ASSERT_OK(log->ApplyRetention({.max_messages = 7}, 400));
  ASSERT_EQ(log->start_offset(), 6u);
  EXPECT_EQ(find(0), 6u);  // clamped to the first retained batch
  EXPECT_EQ(find(250), 9u);
}

TEST_F(PartitionLogTest, FindOffsetAtTimeOverManyBatches) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  for (int i = 0; i < 200; ++i) Append(*log, 1 + i % 3, 1000 + 10 * i);
  const std::vector<StoredBatchHeader> headers = Headers(*log);
  for (int64_t time = 990; time <= 3000; time += 5) {
    uint64_t expected = log->next_offset();
    for (const StoredBatchHeader& header : headers) {
      if (header.timestamp_ms >= time) {
        expected = header.base_offset;
        break;
      }
    }
    ASSERT_OK_AND_ASSIGN(uint64_t offset,
                         log->FindOffsetAtTime(time, 0, log->next_offset()));
    EXPECT_EQ(offset, expected) << time;
  }
}

TEST_F(PartitionLogTest, RetentionByAgeDeletesWholeOldBatches) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  Append(*log, 2, 1000);  // 0..1
  Append(*log, 2, 2000);  // 2..3
  Append(*log, 2, 3000);  // 4..5
  Append(*log, 2, 4000);  // 6..7
  ASSERT_OK_AND_ASSIGN(uint64_t start,
                       log->ApplyRetention({.max_age_ms = 2500}, 5000));
  EXPECT_EQ(start, 4u);
  EXPECT_EQ(log->start_offset(), 4u);
  EXPECT_THAT(BaseOffsets(*log), ElementsAre(4u, 6u));

  // A batch exactly at the limit stays.
  ASSERT_OK_AND_ASSIGN(start, log->ApplyRetention({.max_age_ms = 2000}, 5000));
  EXPECT_EQ(start, 4u);

  // Everything expired: the newest batch stays.
  ASSERT_OK_AND_ASSIGN(start, log->ApplyRetention({.max_age_ms = 1}, 100000));
  EXPECT_EQ(start, 6u);
  EXPECT_THAT(BaseOffsets(*log), ElementsAre(6u));
  std::vector<std::string> batches;
  ASSERT_OK(log->Read(0, 8, 1 << 20, &batches));  // from a removed offset
  ASSERT_EQ(batches.size(), 1u);
}

TEST_F(PartitionLogTest, RetentionByBytesKeepsTheNewestWithinTheLimit) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  for (int i = 0; i < 6; ++i) Append(*log, 1, 1000 + i, 500);
  Headers(*log);
  const uint64_t last_two = values_[4].size() + values_[5].size();
  ASSERT_OK_AND_ASSIGN(uint64_t total, log->SizeBytes());

  ASSERT_OK_AND_ASSIGN(uint64_t start,
                       log->ApplyRetention({.max_bytes = total}, 2000));
  EXPECT_EQ(start, 0u);
  ASSERT_OK_AND_ASSIGN(start,
                       log->ApplyRetention({.max_bytes = last_two}, 2000));
  EXPECT_EQ(start, 4u);
  ASSERT_OK_AND_ASSIGN(uint64_t size, log->SizeBytes());
  EXPECT_EQ(size, last_two);
  ASSERT_OK_AND_ASSIGN(start, log->ApplyRetention({.max_bytes = 1}, 2000));
  EXPECT_EQ(start, 5u);
  EXPECT_THAT(BaseOffsets(*log), ElementsAre(5u));
}

TEST_F(PartitionLogTest, RetentionByMessagesDeletesOnlyWholeBatches) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  for (int i = 0; i < 5; ++i) Append(*log, 10, 1000);  // 0, 10, .. 40
  ASSERT_OK_AND_ASSIGN(uint64_t start,
                       log->ApplyRetention({.max_messages = 25}, 1000));
  EXPECT_EQ(start, 20u);  // 30 messages stay: removing 20..29 leaves 20
  ASSERT_OK_AND_ASSIGN(start, log->ApplyRetention({.max_messages = 20}, 1000));
  EXPECT_EQ(start, 30u);
  ASSERT_OK_AND_ASSIGN(start, log->ApplyRetention({}, 1000));  // unlimited
  EXPECT_EQ(start, 30u);
  EXPECT_THAT(BaseOffsets(*log), ElementsAre(30u, 40u));
}

TEST_F(PartitionLogTest, SizeBytesFollowsAppendsRetentionAndDeletion) {
  {
    std::unique_ptr<PartitionLog> log = OpenLog(1);
    for (int i = 0; i < 4; ++i) Append(*log, 2, 1000 + i);
  }
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  auto stored_bytes = [&] {
    uint64_t bytes = 0;
    Headers(*log);
    for (const std::string& value : values_) bytes += value.size();
    return bytes;
  };
  ASSERT_OK_AND_ASSIGN(uint64_t size, log->SizeBytes());  // by a scan
  EXPECT_EQ(size, stored_bytes());
  Append(*log, 3, 2000);
  ASSERT_OK_AND_ASSIGN(size, log->SizeBytes());
  EXPECT_EQ(size, stored_bytes());
  ASSERT_OK(log->ApplyRetention({.max_messages = 4}, 2000));
  ASSERT_OK_AND_ASSIGN(size, log->SizeBytes());
  EXPECT_EQ(size, stored_bytes());
  DeleteAll(*log);
  ASSERT_OK_AND_ASSIGN(size, log->SizeBytes());
  EXPECT_EQ(size, 0u);
}

TEST_F(PartitionLogTest, StageDeleteAllRemovesEveryBatchAndKeepsTheNextOffset) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  for (int i = 0; i < 5; ++i) Append(*log, 2, 1000);
  DeleteAll(*log);
  EXPECT_EQ(log->start_offset(), 10u);
  EXPECT_EQ(log->next_offset(), 10u);
  EXPECT_TRUE(Headers(*log).empty());
  ASSERT_OK_AND_ASSIGN(uint64_t offset, log->FindOffsetAtTime(0, 0, 10));
  EXPECT_EQ(offset, 10u);
  ASSERT_OK_AND_ASSIGN(uint64_t start,
                       log->ApplyRetention({.max_messages = 1}, 1000));
  EXPECT_EQ(start, 10u);

  log.reset();
  Reopen();
  log = OpenLog(1);
  EXPECT_EQ(log->start_offset(), 0u);
  EXPECT_EQ(log->next_offset(), 0u);
}

TEST_F(PartitionLogTest, ReadsRunConcurrentlyWithAppends) {
  std::unique_ptr<PartitionLog> log = OpenLog(1);
  constexpr int kBatches = 400;
  std::atomic<uint64_t> committed_end = 0;
  std::atomic<bool> failed = false;
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      uint64_t reads = 0;
      for (;;) {
        const uint64_t end = committed_end.load();
        const uint64_t from = end == 0 ? 0 : (reads * 7 + r) % end;
        std::vector<std::string> batches;
        if (!log->Read(from, end, 4096, &batches).ok()) failed = true;
        uint64_t expected = 0;
        for (size_t i = 0; i < batches.size(); ++i) {
          absl::StatusOr<StoredBatchView> view = ParseStoredBatch(batches[i]);
          if (!view.ok()) {
            failed = true;
            break;
          }
          const StoredBatchHeader& h = view->header;
          const bool ok =
              i == 0 ? h.base_offset <= from && from < h.base_offset + h.count
                     : h.base_offset == expected;
          if (!ok || h.base_offset >= end) failed = true;
          expected = h.base_offset + h.count;
        }
        if (end > 0 && batches.empty()) failed = true;
        ++reads;
        if (end == uint64_t{kBatches} * 2) return;
      }
    });
  }
  for (int i = 0; i < kBatches; ++i) {
    Append(*log, 2, 1000 + i);
    committed_end = log->next_offset();
  }
  for (std::thread& reader : readers) reader.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace chorus::storage
