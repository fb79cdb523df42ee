// TombstoneFlusher: keeps the range tombstones held in memtables few, so that
// reads stay cheap however many topics are deleted or trimmed by retention.
//
// RocksDB 7.8 fragments every range tombstone of a memtable again for each
// new iterator: with thousands of them (deleted topics, retention over many
// partitions) every read and seek paid milliseconds, and a broker under a
// stream of topic deletions slowed to a crawl (issue 16). Tombstones in SST
// files are fragmented once per file. So each DeleteRange written to a
// column family is counted here, and every `flush_every` of them the
// family's memtable is flushed, on this object's own thread.
//
//   TombstoneFlusher flusher(db, 512);
//   batch.DeleteRange(family, begin, end);
//   flusher.Written(family);   // may schedule a flush; never blocks
//
// Private to storage/. Thread-safe; the database outlives it.
#ifndef CHORUS_STORAGE_TOMBSTONE_FLUSHER_H_
#define CHORUS_STORAGE_TOMBSTONE_FLUSHER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace chorus::storage {

class TombstoneFlusher {
 public:
  TombstoneFlusher(rocksdb::DB* db, uint32_t flush_every);
  // Finishes a flush in progress and joins the thread.
  ~TombstoneFlusher();

  TombstoneFlusher(const TombstoneFlusher&) = delete;
  TombstoneFlusher& operator=(const TombstoneFlusher&) = delete;

  // `count` range deletions were staged or written to `family`.
  void Written(rocksdb::ColumnFamilyHandle* family, uint32_t count = 1);

  // Flushes done so far (for tests).
  uint64_t flushes() const;

 private:
  struct Family {
    rocksdb::ColumnFamilyHandle* handle;
    uint32_t since_flush = 0;
    bool requested = false;
  };
  void Run();

  rocksdb::DB* const db_;
  const uint32_t flush_every_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Family> families_ ABSL_GUARDED_BY(mu_);
  uint64_t flushes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_TOMBSTONE_FLUSHER_H_
