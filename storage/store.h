// Store: the one RocksDB instance of a broker, with its column families and
// its durability policy.
//
// Column families (see DESIGN.md "Storage"): `log` holds stored batches under
// partition_id (u64 BE) | base_offset (u64 BE); `meta` holds topic records and
// counters; `cursors` holds durable subscription positions.
//
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
//                           Store::Open({.data_dir = "./data"}));
//   CommitBatch commit;
//   log->Append(..., &commit, &value);
//   store->Commit(std::move(commit), [](absl::Status s) { /* ack */ });
#ifndef CHORUS_STORAGE_STORE_H_
#define CHORUS_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
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
  // How often the WAL is fsynced under kInterval. Default: 50 ms.
  absl::Duration fsync_interval = absl::Milliseconds(50);
  // Shared block cache for reads of the log. Default: 64 MiB.
  size_t block_cache_bytes = size_t{64} << 20;
};

// Writes of many partitions gathered into one RocksDB write (group commit).
// Movable, not thread-safe: one per committing shard turn.
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
  std::unique_ptr<rocksdb::WriteBatch> batch_;
};

// Owns the RocksDB instance. Thread-safe: every method may be called from any
// thread. Blocking: each call does RocksDB I/O on the calling thread.
class Store {
 public:
  // Opens (creating if missing) the store in options.data_dir.
  // Errors: kFailedPrecondition when another live process holds the folder;
  // kDataLoss when RocksDB reports corruption; kInternal for other I/O errors.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const StoreOptions& options);

  // Stops the sync thread, fsyncs the WAL and closes the database.
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Writes `batch` atomically (one RocksDB write) and calls `done` once it is
  // stored under the fsync mode: inline for kInterval and kNever, on the
  // store's sync thread for kAlways (several commits share one fsync). `done`
  // gets kInternal if the write or the sync failed; it is always called once.
  void Commit(CommitBatch batch, std::function<void(absl::Status)> done);

  // Topic records in the `meta` column family, keyed by name.
  absl::Status PutTopic(const wire::TopicRecord& topic);
  absl::Status DeleteTopic(std::string_view name);
  // Every stored topic record. kDataLoss if one does not parse.
  absl::StatusOr<std::vector<wire::TopicRecord>> LoadTopics();

  // Reserves `count` consecutive partition ids, never handed out before (a
  // persistent counter). Returns the first.
  absl::StatusOr<uint64_t> AllocatePartitionIds(uint32_t count);

  // Fsyncs the WAL now (used at shutdown and by the sync thread).
  absl::Status SyncWal();

  const StoreOptions& options() const { return options_; }

  // For PartitionLog; not for other callers.
  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* log_family() const { return log_; }

 private:
  class SyncThread;

  explicit Store(const StoreOptions& options);

  StoreOptions options_;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* cursors_ = nullptr;
  std::unique_ptr<SyncThread> sync_thread_;
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_STORE_H_
