#include "storage/store.h"

#include <condition_variable>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/string_views.h"
#include "common/sync.h"
#include "common/system_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "storage/key_coding.h"
#include "storage/rocksdb_status.h"
#include "storage/stored_batch.h"
#include "storage/tombstone_flusher.h"

namespace chorus::storage {
namespace {

constexpr char kLogFamily[] = "log";
constexpr char kMetaFamily[] = "meta";
constexpr char kCursorsFamily[] = "cursors";
constexpr char kKeysFamily[] = "keys";
constexpr char kProducersFamily[] = "producers";

// `meta` keys.
constexpr std::string_view kTopicPrefix = "topic/";
// The key just after every "topic/..." key ('0' follows '/').
constexpr std::string_view kTopicPrefixEnd = "topic0";
constexpr std::string_view kNextPartitionIdKey = "next_partition_id";
// "deleted/" + partition id (u64 BE) -> empty: the data of a partition of a
// deleted topic that may still be on disk.
constexpr std::string_view kDeletedPrefix = "deleted/";
// The key just after every "deleted/..." key ('0' follows '/').
constexpr std::string_view kDeletedPrefixEnd = "deleted0";
// Range deletions a memtable takes before it is flushed (TombstoneFlusher):
// at 512 a new iterator costs about 0.1 ms more; at 20,000 it was 8-24 ms.
constexpr uint32_t kRangeDeletionsPerFlush = 512;
constexpr uint64_t kFirstPartitionId = 1;

std::string DeletedKey(uint64_t partition_id) {
  std::string key(kDeletedPrefix);
  key.append(BigEndian64(partition_id));
  return key;
}

std::string TopicKey(std::string_view name) {
  std::string key(kTopicPrefix);
  key.append(name);
  return key;
}

void LogIfError(const absl::Status& status) {
  if (!status.ok()) Log(LogLevel::kError, "storage", status.ToString());
}

rocksdb::DBOptions MakeDbOptions() {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // A broker shares its cores with the network shards: two background jobs
  // (one flush, one compaction) keep up with an append-only load.
  options.max_background_jobs = 2;
  // Bytes written between background range syncs, so that flushes and
  // compactions do not stall on one large writeback.
  options.bytes_per_sync = 1 << 20;
  // `meta` and `cursors` flush rarely and would pin old WAL files forever;
  // this bound forces their flush.
  options.max_total_wal_size = uint64_t{128} << 20;
  options.keep_log_file_num = 4;
  options.max_log_file_size = 8 << 20;
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer builds only: Debian's RocksDB is not instrumented, and a
  // write group's leader reading its followers' batches (handed over with
  // atomics TSan cannot see) is reported as a race at every write call
  // site. No grouping: each writer writes its own batch.
  options.max_write_batch_group_size_bytes = 0;
#endif
  return options;
}

rocksdb::BlockBasedTableOptions MakeTableOptions(
    const std::shared_ptr<rocksdb::Cache>& cache, bool bloom_filter) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the shared cache, so the cache size
  // bounds the read memory however large the log grows.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Debian's RocksDB is a portable build whose crc32c is the byte-at-a-time
  // software loop; XXH3 block checksums are as safe and several times
  // cheaper on every flush and compaction.
  table.checksum = rocksdb::kXXH3;
  if (bloom_filter)
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  return table;
}

// `log`: append-only, read by seeks and forward scans, so no bloom filter
// (it serves point lookups only) and larger blocks.
rocksdb::ColumnFamilyOptions LogFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = 32 << 20;
  options.max_write_buffer_number = 2;
  options.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table =
      MakeTableOptions(cache, /*bloom_filter=*/false);
  table.block_size = 16 << 10;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// `meta`, `cursors`, `keys`, `producers` (and the unused default family):
// small, point lookups and short scans.
rocksdb::ColumnFamilyOptions SmallFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = 4 << 20;
  options.max_write_buffer_number = 2;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(
      MakeTableOptions(cache, /*bloom_filter=*/true)));
  return options;
}

rocksdb::WriteOptions SyncedWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

// Topic and counter records go to the WAL like a commit: synced at once only
// under kAlways. That is enough: a topic's batches are written after its
// record, and the WAL recovers a prefix, so any sync that keeps a batch
// keeps the record (and the id counter) before it. A synced write per topic
// made a burst of 10k auto-created topics cost 20k fsyncs.
rocksdb::WriteOptions MetaWrite(FsyncMode mode) {
  rocksdb::WriteOptions options;
  options.sync = mode == FsyncMode::kAlways;
  return options;
}

}  // namespace

absl::StatusOr<FsyncMode> ParseFsyncMode(std::string_view text) {
  if (text == "always") return FsyncMode::kAlways;
  if (text == "interval") return FsyncMode::kInterval;
  if (text == "never") return FsyncMode::kNever;
  return absl::InvalidArgumentError(
      absl::StrCat("fsync mode must be always, interval or never, not \"",
                   AsAbsl(text), "\""));
}

std::string_view FsyncModeName(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::kAlways:
      return "always";
    case FsyncMode::kInterval:
      return "interval";
    case FsyncMode::kNever:
      return "never";
  }
  return "unknown";
}

// CommitBatch

CommitBatch::CommitBatch() = default;
CommitBatch::~CommitBatch() = default;
CommitBatch::CommitBatch(CommitBatch&&) noexcept = default;
CommitBatch& CommitBatch::operator=(CommitBatch&&) noexcept = default;

bool CommitBatch::empty() const {
  return batch_ == nullptr || batch_->Count() == 0;
}

size_t CommitBatch::ByteSize() const {
  return batch_ == nullptr ? 0 : batch_->GetDataSize();
}

rocksdb::WriteBatch& CommitBatch::batch() {
  if (batch_ == nullptr) batch_ = std::make_unique<rocksdb::WriteBatch>();
  return *batch_;
}

// Store::SyncThread

// Fsyncs the WAL off the committing threads. kAlways: waits for queued
// commit callbacks, fsyncs once for all of them (callbacks queued meanwhile
// share the next fsync) and runs them. kInterval: fsyncs every interval.
// Not created for kNever.
class Store::SyncThread {
 public:
  using Callback = std::function<void(absl::Status)>;

  explicit SyncThread(Store* store)
      : store_(store),
        mode_(store->options().fsync),
        interval_(store->options().fsync_interval),
        thread_([this] { Run(); }) {}

  // Runs the callbacks still queued after one last fsync, then joins.
  ~SyncThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_one();
    }
    thread_.join();
  }

  SyncThread(const SyncThread&) = delete;
  SyncThread& operator=(const SyncThread&) = delete;

  // kAlways only: `done` runs after the next fsync.
  void Enqueue(Callback done) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(std::move(done));
    cv_.notify_one();
  }

 private:
  void Run() {
    absl::Time next_sync = absl::Now() + interval_;
    bool last_sync_failed = false;
    for (;;) {
      std::vector<Callback> callbacks;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (mode_ == FsyncMode::kAlways) {
          cv_.wait(lock, [this] { return !pending_.empty() || stop_; });
        } else {
          WaitUntil(cv_, lock, next_sync, [this] { return stop_; });
        }
        // At stop, the Store's destructor does the last fsync for kInterval.
        if (stop_ && pending_.empty()) return;
        callbacks.swap(pending_);
      }
      const absl::Status status = store_->SyncWal();
      if (callbacks.empty() && status.ok() != !last_sync_failed) {
        // Without callbacks nobody else hears of a failed interval sync; log
        // when syncing starts and stops failing rather than every interval.
        Log(status.ok() ? LogLevel::kInfo : LogLevel::kError, "storage",
            status.ok() ? std::string("WAL sync works again")
                        : status.ToString());
      }
      last_sync_failed = !status.ok();
      for (Callback& done : callbacks) done(status);
      next_sync = absl::Now() + interval_;
    }
  }

  Store* const store_;
  const FsyncMode mode_;
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Callback> pending_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Store

Store::Store(const StoreOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const StoreOptions& options) {
  if (options.fsync == FsyncMode::kInterval &&
      options.fsync_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "fsync_interval must be positive under fsync=interval");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return StatusFromErrorCode(
        ec, absl::StrCat("create data dir ", options.data_dir));
  }

  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, SmallFamilyOptions(cache)},
      {kLogFamily, LogFamilyOptions(cache)},
      {kMetaFamily, SmallFamilyOptions(cache)},
      {kCursorsFamily, SmallFamilyOptions(cache)},
      {kKeysFamily, SmallFamilyOptions(cache)},
      {kProducersFamily, SmallFamilyOptions(cache)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  CHORUS_RETURN_IF_ERROR(
      FromRocksDbOpen(rocksdb::DB::Open(MakeDbOptions(), options.data_dir,
                                        families, &handles, &db),
                      options.data_dir));

  // From here the Store owns the database: its destructor closes it.
  std::unique_ptr<Store> store(new Store(options));
  store->db_ = db;
  store->log_ = handles[1];
  store->meta_ = handles[2];
  store->cursors_ = handles[3];
  store->keys_ = handles[4];
  store->producers_ = handles[5];
  // Nothing is kept in the default family; RocksDB only requires opening it.
  CHORUS_RETURN_IF_ERROR(FromRocksDb(db->DestroyColumnFamilyHandle(handles[0]),
                                     "close default column family"));
  store->tombstones_ =
      std::make_unique<TombstoneFlusher>(db, kRangeDeletionsPerFlush);
  CHORUS_RETURN_IF_ERROR(store->FinishPartitionDeletions());
  if (options.fsync != FsyncMode::kNever) {
    store->sync_thread_ = std::make_unique<SyncThread>(store.get());
  }
  return store;
}

absl::Status Store::FinishPartitionDeletions() {
  const rocksdb::Slice upper_bound(kDeletedPrefixEnd);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, meta_));
  CommitBatch batch;
  for (it->Seek(kDeletedPrefix); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (key.size() != kDeletedPrefix.size() + 8) {
      return absl::DataLossError(
          absl::StrCat("malformed meta record ", it->key().ToString(true)));
    }
    StageDeletePartition(DecodeBigEndian64(key.data() + kDeletedPrefix.size()),
                         &batch);
  }
  CHORUS_RETURN_IF_ERROR(FromRocksDb(it->status(), "load partition deletions"));
  if (batch.empty()) return absl::OkStatus();
  return FromRocksDb(db_->Write(SyncedWrite(), &batch.batch()),
                     "finish partition deletions");
}

void Store::RangeDeletionsWritten(rocksdb::ColumnFamilyHandle* family,
                                  uint32_t count) {
  tombstones_->Written(family, count);
}

Store::~Store() {
  sync_thread_.reset();
  tombstones_.reset();
  if (db_ == nullptr) return;
  LogIfError(SyncWal());
  for (rocksdb::ColumnFamilyHandle* family :
       {log_, meta_, cursors_, keys_, producers_}) {
    LogIfError(FromRocksDb(db_->DestroyColumnFamilyHandle(family),
                           "close column family"));
  }
  LogIfError(FromRocksDb(db_->Close(), "close database"));
  delete db_;
}

void Store::Commit(CommitBatch batch, std::function<void(absl::Status)> done) {
  absl::Status status =
      FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch.batch()),
                  "write commit batch");
  if (!status.ok() || options_.fsync != FsyncMode::kAlways) {
    done(std::move(status));
    return;
  }
  sync_thread_->Enqueue(std::move(done));
}

absl::Status Store::PutTopic(const wire::TopicRecord& topic) {
  if (topic.name().empty()) {
    return absl::InvalidArgumentError("topic record without a name");
  }
  return FromRocksDb(
      db_->Put(MetaWrite(options_.fsync), meta_, TopicKey(topic.name()),
               topic.SerializeAsString()),
      absl::StrCat("put topic ", topic.name()));
}

absl::Status Store::DeleteTopic(std::string_view name,
                                uint64_t first_partition_id,
                                uint32_t partitions) {
  rocksdb::WriteBatch batch;
  CHORUS_RETURN_IF_ERROR(
      FromRocksDb(batch.Delete(meta_, TopicKey(name)), "stage delete"));
  for (uint64_t id = first_partition_id; id < first_partition_id + partitions;
       ++id) {
    CHORUS_RETURN_IF_ERROR(
        FromRocksDb(batch.Put(meta_, DeletedKey(id), ""), "stage delete"));
  }
  return FromRocksDb(db_->Write(SyncedWrite(), &batch),
                     absl::StrCat("delete topic ", AsAbsl(name)));
}

void Store::StageDeletePartition(uint64_t partition_id, CommitBatch* commit) {
  rocksdb::WriteBatch& batch = commit->batch();
  // WriteBatch::DeleteRange and Delete fail only for entries over 4 GiB.
  (void)batch.DeleteRange(log_, LogKey(partition_id, 0),
                          LogKey(partition_id + 1, 0));
  (void)batch.DeleteRange(keys_, BigEndian64(partition_id),
                          BigEndian64(partition_id + 1));
  (void)batch.DeleteRange(producers_, BigEndian64(partition_id),
                          BigEndian64(partition_id + 1));
  (void)batch.Delete(meta_, DeletedKey(partition_id));
  tombstones_->Written(log_);
  tombstones_->Written(keys_);
  tombstones_->Written(producers_);
}

absl::StatusOr<std::vector<wire::TopicRecord>> Store::LoadTopics() {
  const rocksdb::Slice upper_bound(kTopicPrefixEnd);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, meta_));
  std::vector<wire::TopicRecord> topics;
  for (it->Seek(kTopicPrefix); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view name = key.substr(kTopicPrefix.size());
    wire::TopicRecord& topic = topics.emplace_back();
    if (!topic.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size())) ||
        topic.name() != name) {
      return absl::DataLossError(absl::StrCat("meta record ", AsAbsl(key),
                                              " is not a topic record for ",
                                              AsAbsl(name)));
    }
  }
  CHORUS_RETURN_IF_ERROR(FromRocksDb(it->status(), "load topics"));
  return topics;
}

absl::StatusOr<uint64_t> Store::AllocatePartitionIds(uint32_t count) {
  if (count == 0) {
    return absl::InvalidArgumentError("allocate zero partition ids");
  }
  std::lock_guard<std::mutex> lock(allocate_mu_);
  uint64_t first = kFirstPartitionId;
  std::string value;
  const rocksdb::Status read =
      db_->Get(rocksdb::ReadOptions(), meta_, kNextPartitionIdKey, &value);
  if (read.ok()) {
    if (value.size() != 8) {
      return absl::DataLossError(
          absl::StrCat("meta record ", AsAbsl(kNextPartitionIdKey), " has ",
                       value.size(), " bytes, not 8"));
    }
    first = DecodeBigEndian64(value.data());
  } else if (!read.IsNotFound()) {
    return FromRocksDb(read, "read the next partition id");
  }
  if (first > std::numeric_limits<uint64_t>::max() - count) {
    return absl::ResourceExhaustedError("partition ids are used up");
  }
  value.assign(8, '\0');
  EncodeBigEndian64(first + count, value.data());
  CHORUS_RETURN_IF_ERROR(FromRocksDb(
      db_->Put(MetaWrite(options_.fsync), meta_, kNextPartitionIdKey, value),
      "write the next partition id"));
  return first;
}

absl::Status Store::SyncWal() {
  wal_syncs_.fetch_add(1, std::memory_order_relaxed);
  return FromRocksDb(db_->SyncWAL(), "sync WAL");
}

}  // namespace chorus::storage
