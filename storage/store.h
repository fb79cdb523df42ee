// Store: the one RocksDB instance of a broker, with its column families and
// its durability policy.
//
// Column families (see DESIGN.md "Storage"): `log` holds stored batches under
// partition_id (u64 BE) | base_offset (u64 BE); `meta` holds topic records and
// counters; `cursors` holds named subscriptions and their positions
// (CursorStore); `keys` holds the last value of every key of status topics
// (KeyTable); `producers` holds the idempotence state of partitions
// (ProducerTable).
//
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
//                           Store::Open({.data_dir = "./data"}));
//   CommitBatch commit;
//   log->Append(..., &commit, &value);
//   store->Commit(std::move(commit), [](absl::Status s) { /* ack */ });
#ifndef CHORUS_STORAGE_STORE_H_
#define CHORUS_STORAGE_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/storage.pb.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace chorus::storage {

class TombstoneFlusher;

// When an append counts as stored.
enum class FsyncMode {
  kAlways,    // the WAL is fsynced before the commit callback runs
  kInterval,  // the WAL is written per commit and fsynced on a timer
  kNever,     // the WAL is written per commit; the OS decides when to sync
};

// Parses "always", "interval" or "never"; kInvalidArgument otherwise.
absl::StatusOr<FsyncMode> ParseFsyncMode(std::string_view text);
std::string_view FsyncModeName(FsyncMode mode);

struct StoreOptions {
  // Folder of the RocksDB instance; created if missing. Default: "./data".
  std::string data_dir = "./data";
  // Default: kInterval.
  FsyncMode fsync = FsyncMode::kInterval;
  // How often the WAL is fsynced under kInterval; must be positive.
  // Default: 50 ms.
  absl::Duration fsync_interval = absl::Milliseconds(50);
  // Shared block cache for reads of the log. Default: 64 MiB.
  size_t block_cache_bytes = size_t{64} << 20;
};

// Writes of many partitions gathered into one RocksDB write (group commit).
// Movable, not thread-safe: one per committing shard turn. A moved-from batch
// is empty and may be reused.
class CommitBatch {
 public:
  CommitBatch();
  ~CommitBatch();
  CommitBatch(CommitBatch&&) noexcept;
  CommitBatch& operator=(CommitBatch&&) noexcept;

  bool empty() const;
  size_t ByteSize() const;

 private:
  friend class Store;
  friend class PartitionLog;
  friend class CursorStore;
  friend class KeyTable;
  friend class ProducerTable;

  // The batch to stage writes in, created on first use.
  rocksdb::WriteBatch& batch();

  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

// Owns the RocksDB instance and, unless fsync is kNever, one sync thread.
// Thread-safe: every method may be called from any thread. Blocking: each
// call does RocksDB I/O on the calling thread. Outlives every PartitionLog
// opened on it.
class Store {
 public:
  // Opens (creating if missing) the store in options.data_dir.
  // Errors: kFailedPrecondition when another live process (or another open
  // Store of this process) holds the folder; kDataLoss when RocksDB reports
  // corruption; kInvalidArgument for a non-positive fsync_interval under
  // kInterval; kInternal or the code of the system error for other failures.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const StoreOptions& options);

  // Stops the sync thread (after a last fsync, it runs the callbacks still
  // queued), fsyncs the WAL and closes the database. Errors are logged. No
  // Commit may be running or start once destruction begins.
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Writes `batch` atomically (one RocksDB write) and calls `done` once it is
  // stored under the fsync mode: inline for kInterval and kNever, on the
  // store's sync thread for kAlways (several commits share one fsync; there
  // `done` must be cheap, e.g. post to a shard, and must not destroy the
  // Store). `done` gets the error (see Open for codes) if the write or the
  // sync failed, inline if the write did; it is always called exactly once.
  void Commit(CommitBatch batch, std::function<void(absl::Status)> done);

  // Topic records in the `meta` column family, keyed by name. PutTopic
  // writes the WAL as a commit does (synced at once only under kAlways; a
  // later sync of the topic's batches covers it). PutTopic replaces a
  // record of the same name; kInvalidArgument for an empty name.
  absl::Status PutTopic(const wire::TopicRecord& topic);
  // Removes the record of `name` and, in the same synced write, marks the
  // data of its `partitions` ids from `first_partition_id` for deletion.
  // Each partition's owner then stages that deletion in its next commit
  // (StageDeletePartition); should a crash lose it, the next Open deletes
  // the marked data before anything reads it. A missing name is OK.
  absl::Status DeleteTopic(std::string_view name, uint64_t first_partition_id,
                           uint32_t partitions);
  // Stages the deletion of every batch, status key and producer row of
  // `partition_id`, and of its mark (DeleteTopic), in `commit`.
  void StageDeletePartition(uint64_t partition_id, CommitBatch* commit);
  // Every stored topic record. kDataLoss if one does not parse.
  absl::StatusOr<std::vector<wire::TopicRecord>> LoadTopics();

  // Reserves `count` consecutive partition ids, never handed out before (a
  // persistent counter, written like PutTopic: the ids are used only by
  // writes after it in the WAL). Returns the first; ids
  // start at 1, so 0 never names a partition. kInvalidArgument if count is 0;
  // kResourceExhausted if the id space is used up.
  absl::StatusOr<uint64_t> AllocatePartitionIds(uint32_t count);

  // Fsyncs the WAL now (used at shutdown and by the sync thread).
  absl::Status SyncWal();
  // How many SyncWal calls this store has made: under kAlways, one per
  // group of commits. (Writes synced on their own, PutTopic under kAlways
  // and DeleteTopic, are not counted.) For tests and metrics.
  uint64_t wal_syncs() const {
    return wal_syncs_.load(std::memory_order_relaxed);
  }

  const StoreOptions& options() const { return options_; }

  // For PartitionLog, KeyTable and CursorStore: `count` range deletions
  // were staged or written to `family` (see TombstoneFlusher).
  void RangeDeletionsWritten(rocksdb::ColumnFamilyHandle* family,
                             uint32_t count = 1);

  // For PartitionLog; not for other callers.
  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* log_family() const { return log_; }
  // For CursorStore and KeyTable; not for other callers.
  rocksdb::ColumnFamilyHandle* cursors_family() const { return cursors_; }
  rocksdb::ColumnFamilyHandle* keys_family() const { return keys_; }
  // For ProducerTable; not for other callers.
  rocksdb::ColumnFamilyHandle* producers_family() const { return producers_; }

 private:
  class SyncThread;

  explicit Store(const StoreOptions& options);
  // Deletes the marked data of partitions whose deletion a crash
  // interrupted.
  absl::Status FinishPartitionDeletions();

  StoreOptions options_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* cursors_ = nullptr;
  rocksdb::ColumnFamilyHandle* keys_ = nullptr;
  rocksdb::ColumnFamilyHandle* producers_ = nullptr;
  std::unique_ptr<SyncThread> sync_thread_;
  std::unique_ptr<TombstoneFlusher> tombstones_;
  // Serializes the read-modify-write of the partition id counter.
  std::mutex allocate_mu_;
  std::atomic<uint64_t> wal_syncs_{0};
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_STORE_H_
