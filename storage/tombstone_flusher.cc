#include "storage/tombstone_flusher.h"

#include <algorithm>

#include "common/log.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "storage/rocksdb_status.h"

namespace chorus::storage {

TombstoneFlusher::TombstoneFlusher(rocksdb::DB* db, uint32_t flush_every)
    : db_(db),
      flush_every_(std::max<uint32_t>(flush_every, 1)),
      thread_([this] { Run(); }) {}

TombstoneFlusher::~TombstoneFlusher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void TombstoneFlusher::Written(rocksdb::ColumnFamilyHandle* family,
                               uint32_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it =
      std::find_if(families_.begin(), families_.end(),
                   [family](const Family& f) { return f.handle == family; });
  if (it == families_.end()) {
    families_.push_back({family});
    it = families_.end() - 1;
  }
  it->since_flush += count;
  if (it->since_flush < flush_every_ || it->requested) return;
  it->requested = true;
  wake_.notify_one();
}

uint64_t TombstoneFlusher::flushes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushes_;
}

void TombstoneFlusher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto requested = families_.end();
    wake_.wait(lock, [&] {
      requested = std::find_if(families_.begin(), families_.end(),
                               [](const Family& f) { return f.requested; });
      return stop_ || requested != families_.end();
    });
    if (stop_) return;
    requested->requested = false;
    requested->since_flush = 0;
    rocksdb::ColumnFamilyHandle* const family = requested->handle;
    lock.unlock();
    rocksdb::FlushOptions options;
    // Flushing is how the tombstones leave the memtable: it may not wait for
    // a stall to clear. This thread waits for it; requests made meanwhile
    // are served by the next flush.
    options.allow_write_stall = true;
    const absl::Status flushed =
        FromRocksDb(db_->Flush(options, family), "flush range tombstones");
    if (!flushed.ok()) Log(LogLevel::kWarning, "storage", flushed.ToString());
    lock.lock();
    ++flushes_;
  }
}

}  // namespace chorus::storage
