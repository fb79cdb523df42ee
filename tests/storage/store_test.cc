#include "storage/store.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/sync.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/partition_log.h"
#include "tests/storage/storage_test_util.h"

namespace chorus::storage {
namespace {

using ::testing::HasSubstr;

StoreOptions Options(const ScopedTempDir& dir, FsyncMode fsync) {
  return {.data_dir = dir.path(), .fsync = fsync};
}

// A commit holding one batch appended to `log`.
CommitBatch OneBatch(PartitionLog& log) {
  CommitBatch commit;
  std::string value;
  log.Append("records", 1, "p", 1000, &commit, &value);
  return commit;
}

TEST(FsyncModeTest, ParsesItsNames) {
  for (FsyncMode mode :
       {FsyncMode::kAlways, FsyncMode::kInterval, FsyncMode::kNever}) {
    ASSERT_OK_AND_ASSIGN(FsyncMode parsed, ParseFsyncMode(FsyncModeName(mode)));
    EXPECT_EQ(parsed, mode);
  }
  EXPECT_EQ(ParseFsyncMode("Always").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFsyncMode("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommitBatchTest, MovedFromBatchIsEmptyAndReusable) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kNever)));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                       PartitionLog::Open(store.get(), 1));
  CommitBatch commit;
  EXPECT_TRUE(commit.empty());
  EXPECT_EQ(commit.ByteSize(), 0u);
  std::string value;
  log->Append("records", 1, "p", 1000, &commit, &value);
  EXPECT_FALSE(commit.empty());
  EXPECT_GT(commit.ByteSize(), value.size());

  CommitBatch moved = std::move(commit);
  EXPECT_FALSE(moved.empty());
  EXPECT_TRUE(commit.empty());  // NOLINT(bugprone-use-after-move)
  log->Append("records", 1, "p", 1000, &commit, &value);
  EXPECT_FALSE(commit.empty());
}

TEST(StoreTest, OpenCreatesFolderAndColumnFamilies) {
  ScopedTempDir dir;
  const std::string data_dir = dir.path() + "/nested/data";
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open({.data_dir = data_dir}));
    EXPECT_EQ(store->options().data_dir, data_dir);
  }
  std::vector<std::string> families;
  ASSERT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, &families)
          .ok());
  EXPECT_THAT(families,
              ::testing::UnorderedElementsAre("default", "log", "meta",
                                              "cursors", "keys", "producers"));
}

TEST(StoreTest, ZeroFsyncIntervalIsInvalid) {
  ScopedTempDir dir;
  StoreOptions options = Options(dir, FsyncMode::kInterval);
  options.fsync_interval = absl::ZeroDuration();
  EXPECT_EQ(Store::Open(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StoreTest, SecondOpenInTheSameProcessIsFailedPrecondition) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kInterval)));
  const absl::StatusOr<std::unique_ptr<Store>> second =
      Store::Open(Options(dir, FsyncMode::kInterval));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("data dir " + dir.path() + " is in use"));
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("a Store of this process has it open"));

  // The failed open must not disturb the first one.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                       PartitionLog::Open(store.get(), 1));
  absl::Status committed = absl::UnknownError("not called");
  store->Commit(OneBatch(*log), [&](absl::Status s) { committed = s; });
  EXPECT_OK(committed);
}

class CommitTest : public ::testing::TestWithParam<FsyncMode> {};

TEST_P(CommitTest, CallsDoneExactlyOnceAfterTheWrite) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, GetParam())));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                       PartitionLog::Open(store.get(), 1));
  constexpr int kCommits = 20;
  std::atomic<int> calls[kCommits] = {};
  std::latch done(kCommits);
  for (int i = 0; i < kCommits; ++i) {
    store->Commit(OneBatch(*log), [&, i](absl::Status status) {
      EXPECT_OK(status);
      if (calls[i]++ == 0) done.count_down();
    });
    if (GetParam() != FsyncMode::kAlways) {
      EXPECT_EQ(calls[i].load(), 1);  // inline
    }
  }
  done.wait();

  std::vector<std::string> batches;
  ASSERT_OK(log->Read(0, kCommits, 1 << 20, &batches));
  EXPECT_EQ(batches.size(), size_t{kCommits});
  store.reset();  // no late second call
  for (const std::atomic<int>& count : calls) EXPECT_EQ(count.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(AllModes, CommitTest,
                         ::testing::Values(FsyncMode::kAlways,
                                           FsyncMode::kInterval,
                                           FsyncMode::kNever),
                         [](const auto& info) {
                           return std::string(FsyncModeName(info.param));
                         });

TEST(StoreTest, AlwaysGroupCommitsConcurrentCommitters) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kAlways)));
  constexpr int kThreads = 4;
  constexpr int kCommitsPerThread = 100;
  constexpr int kCommits = 1 + kThreads * kCommitsPerThread;
  std::vector<std::atomic<int>> calls(kCommits);
  std::latch done(kCommits);
  auto callback = [&](int id) {
    return [&, id](absl::Status status) {
      EXPECT_OK(status);
      if (calls[id]++ == 0) done.count_down();
    };
  };
  const uint64_t syncs_before = store->wal_syncs();
  // The first commit's callback holds the sync thread, as a slow fsync
  // would, until every other commit has been written and queued.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> first_log,
                       PartitionLog::Open(store.get(), kThreads + 1));
  Notification all_queued;
  store->Commit(OneBatch(*first_log), [&](absl::Status status) {
    all_queued.WaitForNotification();
    callback(0)(status);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // One partition per thread: a PartitionLog belongs to one thread.
      absl::StatusOr<std::unique_ptr<PartitionLog>> log =
          PartitionLog::Open(store.get(), t + 1);
      ASSERT_OK(log);
      for (int i = 0; i < kCommitsPerThread; ++i) {
        store->Commit(OneBatch(**log), callback(1 + t * kCommitsPerThread + i));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  all_queued.Notify();
  done.wait();
  // One fsync for the first commit and one shared by all that were queued
  // behind it (or a single one, if they all came before the first).
  const uint64_t syncs = store->wal_syncs() - syncs_before;
  EXPECT_GE(syncs, 1u);
  EXPECT_LE(syncs, 2u) << "for " << kCommits << " commits";
  first_log.reset();
  store.reset();
  for (const std::atomic<int>& count : calls) EXPECT_EQ(count.load(), 1);
}

TEST(StoreTest, DestructionRunsQueuedCallbacksAndKeepsTheData) {
  ScopedTempDir dir;
  constexpr int kCommits = 50;
  std::atomic<int> calls = 0;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(Options(dir, FsyncMode::kAlways)));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                         PartitionLog::Open(store.get(), 1));
    for (int i = 0; i < kCommits; ++i) {
      store->Commit(OneBatch(*log), [&](absl::Status status) {
        EXPECT_OK(status);
        ++calls;
      });
    }
  }
  EXPECT_EQ(calls.load(), kCommits);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kAlways)));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                       PartitionLog::Open(store.get(), 1));
  EXPECT_EQ(log->next_offset(), uint64_t{kCommits});
}

wire::TopicRecord Topic(const std::string& name, uint64_t first_partition_id) {
  wire::TopicRecord topic;
  topic.set_name(name);
  topic.mutable_config()->set_partitions(3);
  topic.mutable_config()->set_retention_age_ms(60000);
  topic.set_first_partition_id(first_partition_id);
  topic.set_created_ms(1700000000000);
  return topic;
}

TEST(StoreTest, TopicRecordsArePutLoadedAndDeleted) {
  ScopedTempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(Options(dir, FsyncMode::kNever)));
    ASSERT_OK_AND_ASSIGN(std::vector<wire::TopicRecord> none,
                         store->LoadTopics());
    EXPECT_TRUE(none.empty());
    ASSERT_OK(store->PutTopic(Topic("orders", 1)));
    ASSERT_OK(store->PutTopic(Topic("audit.log", 4)));
    ASSERT_OK(store->PutTopic(Topic("orders", 7)));  // replaces
    ASSERT_OK_AND_ASSIGN(uint64_t first, store->AllocatePartitionIds(2));
    EXPECT_GT(first, 0u);  // the counter is in `meta` too: not a topic
    EXPECT_EQ(store->PutTopic(Topic("", 1)).code(),
              absl::StatusCode::kInvalidArgument);
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kNever)));
  ASSERT_OK_AND_ASSIGN(std::vector<wire::TopicRecord> topics,
                       store->LoadTopics());
  ASSERT_EQ(topics.size(), 2u);
  EXPECT_EQ(topics[0].name(), "audit.log");
  EXPECT_EQ(topics[1].name(), "orders");
  EXPECT_EQ(topics[1].first_partition_id(), 7u);
  EXPECT_EQ(topics[1].SerializeAsString(),
            Topic("orders", 7).SerializeAsString());

  ASSERT_OK(store->DeleteTopic("orders", 7, 1));
  ASSERT_OK(store->DeleteTopic("never-existed", 9, 2));
  ASSERT_OK_AND_ASSIGN(topics, store->LoadTopics());
  ASSERT_EQ(topics.size(), 1u);
  EXPECT_EQ(topics[0].name(), "audit.log");
}

// A crash between the synced topic deletion and the commit that deletes its
// data must not leave the data on disk for ever.
TEST(StoreTest, DataOfADeletedTopicIsDeletedAtOpenIfItsCommitWasLost) {
  ScopedTempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(Options(dir, FsyncMode::kNever)));
    for (uint64_t id : {7, 8, 9}) {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                           PartitionLog::Open(store.get(), id));
      for (int i = 0; i < 3; ++i) {
        store->Commit(OneBatch(*log), [](absl::Status s) { ASSERT_OK(s); });
      }
    }
    // Partitions 7 and 8 are the deleted topic's; their owners never
    // staged the data deletion.
    ASSERT_OK(store->DeleteTopic("orders", 7, 2));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kNever)));
  for (uint64_t id : {7, 8, 9}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                         PartitionLog::Open(store.get(), id));
    std::vector<std::string> batches;
    ASSERT_OK(log->Read(0, 10, 1 << 20, &batches));
    EXPECT_EQ(batches.size(), id == 9 ? 3u : 0u) << "partition " << id;
  }
}

// Thousands of deleted partitions must not leave thousands of range
// tombstones in the log's memtable, which every new iterator would
// fragment again (issue 16: reads slowed until sessions could not finish).
TEST(StoreTest, DeletedPartitionsLeaveFewRangeTombstonesInTheMemtable) {
  constexpr uint64_t kPartitions = 3000;
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kNever)));
  for (uint64_t id = 1; id <= kPartitions; ++id) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PartitionLog> log,
                         PartitionLog::Open(store.get(), id));
    CommitBatch commit = OneBatch(*log);
    log->StageDeleteAll(&commit);
    store->Commit(std::move(commit), [](absl::Status s) { ASSERT_OK(s); });
  }
  // One put and one tombstone per partition reached the memtable; flushes
  // (on the store's own thread) keep fewer than ~512 tombstones there.
  auto in_memtable = [&] {
    uint64_t entries = 0;
    EXPECT_TRUE(store->db()->GetIntProperty(
        store->log_family(), rocksdb::DB::Properties::kNumEntriesActiveMemTable,
        &entries));
    return entries;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (in_memtable() > 2 * 512 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_LE(in_memtable(), 2u * 512) << "of " << 2 * kPartitions << " entries";
}

TEST(StoreTest, AllocatePartitionIdsNeverRepeatsAcrossReopen) {
  ScopedTempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                         Store::Open(Options(dir, FsyncMode::kNever)));
    ASSERT_OK_AND_ASSIGN(uint64_t first, store->AllocatePartitionIds(3));
    EXPECT_EQ(first, 1u);
    ASSERT_OK_AND_ASSIGN(first, store->AllocatePartitionIds(1));
    EXPECT_EQ(first, 4u);
    EXPECT_EQ(store->AllocatePartitionIds(0).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kNever)));
  ASSERT_OK_AND_ASSIGN(uint64_t first, store->AllocatePartitionIds(10));
  EXPECT_EQ(first, 5u);
  ASSERT_OK_AND_ASSIGN(first, store->AllocatePartitionIds(1));
  EXPECT_EQ(first, 15u);
}

TEST(StoreTest, ConcurrentAllocationsDoNotOverlap) {
  ScopedTempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
                       Store::Open(Options(dir, FsyncMode::kNever)));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<uint64_t> firsts[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> first = store->AllocatePartitionIds(2);
        ASSERT_OK(first);
        firsts[t].push_back(*first);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<uint64_t> all;
  for (const auto& f : firsts) all.insert(all.end(), f.begin(), f.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), size_t{kThreads * kPerThread});
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], 1 + 2 * i);
}

}  // namespace
}  // namespace chorus::storage
