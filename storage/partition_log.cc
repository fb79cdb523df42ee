#include "storage/partition_log.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "storage/key_coding.h"
#include "storage/rocksdb_status.h"

namespace chorus::storage {
namespace {

// No batch can start at this offset (it would end past the offset space), so
// LogKey(id, kNoOffset) bounds every key of partition `id` from above.
constexpr uint64_t kNoOffset = std::numeric_limits<uint64_t>::max();

// An iterator over the batches of one partition whose base offsets lie in
// [from, end). Owns the bound keys that its ReadOptions point to.
class PartitionIterator {
 public:
  PartitionIterator(const Store& store, uint64_t partition_id, uint64_t from,
                    uint64_t end, bool fill_cache)
      : partition_id_(partition_id),
        lower_key_(LogKey(partition_id, from)),
        upper_key_(LogKey(partition_id, end)),
        lower_(lower_key_),
        upper_(upper_key_) {
    rocksdb::ReadOptions options;
    options.iterate_lower_bound = &lower_;
    options.iterate_upper_bound = &upper_;
    // Scans of whole partitions (size, retention) would evict the batches
    // that readers need.
    options.fill_cache = fill_cache;
    it_.reset(store.db()->NewIterator(options, store.log_family()));
  }

  rocksdb::Iterator* operator->() const { return it_.get(); }

  // The batch at the iterator, which must be valid, checked against its key.
  // kDataLoss if the key or the value does not decode or they disagree.
  absl::StatusOr<StoredBatchView> Batch() const {
    uint64_t partition_id;
    uint64_t base_offset;
    if (!ParseLogKey(it_->key().ToStringView(), &partition_id, &base_offset) ||
        partition_id != partition_id_) {
      return absl::DataLossError(
          absl::StrCat("partition ", partition_id_, ": malformed log key ",
                       it_->key().ToString(/*hex=*/true)));
    }
    absl::StatusOr<StoredBatchView> batch =
        ParseStoredBatch(it_->value().ToStringView());
    if (!batch.ok()) {
      return absl::DataLossError(absl::StrCat("partition ", partition_id_,
                                              " offset ", base_offset, ": ",
                                              batch.status().message()));
    }
    if (batch->header.base_offset != base_offset ||
        batch->header.base_offset + batch->header.count < base_offset) {
      return absl::DataLossError(absl::StrCat(
          "partition ", partition_id_, " offset ", base_offset,
          ": stored batch says base offset ", batch->header.base_offset,
          " count ", batch->header.count));
    }
    return batch;
  }

  // The base offset in the key at the iterator, which must be valid.
  uint64_t BaseOffset() const {
    return DecodeBigEndian64(it_->key().data() + 8);
  }

  absl::Status status() const {
    const rocksdb::Status status = it_->status();
    if (status.ok()) return absl::OkStatus();  // no message to build
    return FromRocksDb(status, absl::StrCat("read partition ", partition_id_));
  }

 private:
  const uint64_t partition_id_;
  const std::string lower_key_;
  const std::string upper_key_;
  const rocksdb::Slice lower_;
  const rocksdb::Slice upper_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// Aborts on a broken invariant (a bug): unlike an assert it stays in
// release builds, since a bad batch on disk would fail every later Open.
[[noreturn]] void Die(uint64_t partition_id, absl::string_view message) {
  Log(LogLevel::kError, "storage",
      absl::StrCat("partition ", partition_id, ": ", message));
  std::abort();
}

uint64_t BatchEnd(const StoredBatchHeader& header) {
  return header.base_offset + header.count;
}

}  // namespace

PartitionLog::PartitionLog(Store* store, uint64_t partition_id)
    : store_(store), partition_id_(partition_id) {}

absl::StatusOr<std::unique_ptr<PartitionLog>> PartitionLog::Open(
    Store* store, uint64_t partition_id) {
  std::unique_ptr<PartitionLog> log(new PartitionLog(store, partition_id));
  PartitionIterator it(*store, partition_id, 0, kNoOffset,
                       /*fill_cache=*/true);
  it->SeekToFirst();
  if (!it->Valid()) {
    CHORUS_RETURN_IF_ERROR(it.status());
    return log;  // empty: offsets start at 0
  }
  const uint64_t first_offset = it.BaseOffset();
  it->SeekToLast();
  if (!it->Valid()) {
    CHORUS_RETURN_IF_ERROR(it.status());
    return absl::InternalError(absl::StrCat("partition ", partition_id,
                                            " lost its batches while opening"));
  }
  CHORUS_ASSIGN_OR_RETURN(const StoredBatchView last, it.Batch());
  log->start_offset_ = first_offset;
  log->next_offset_ = BatchEnd(last.header);
  log->last_timestamp_ms_ = last.header.timestamp_ms;
  return log;
}

StoredBatchHeader PartitionLog::Append(std::string_view records, uint32_t count,
                                       std::string_view publisher,
                                       int64_t now_ms, CommitBatch* commit,
                                       std::string* stored_value,
                                       ProducerStamp producer) {
  if (count == 0) Die(partition_id_, "append of an empty batch");
  const StoredBatchHeader header = {
      .base_offset = next_offset_,
      .timestamp_ms = std::max(now_ms, last_timestamp_ms_),
      .publisher = publisher,
      .count = count,
      .producer_id = producer.id,
      .producer_sequence = producer.sequence,
  };
  const size_t value_start = stored_value->size();
  AppendStoredBatch(header, records, stored_value);
  const std::string_view value =
      std::string_view(*stored_value).substr(value_start);
  const rocksdb::Status put = commit->batch().Put(
      store_->log_family(), LogKey(partition_id_, header.base_offset), value);
  // Put fails only for a value over 4 GiB, far above any frame limit.
  if (!put.ok()) {
    Die(partition_id_, absl::StrCat("cannot stage a batch: ", put.ToString()));
  }
  next_offset_ += count;
  last_timestamp_ms_ = header.timestamp_ms;
  if (size_bytes_.has_value()) *size_bytes_ += value.size();
  return header;
}

absl::Status PartitionLog::Read(uint64_t from, uint64_t end, size_t max_bytes,
                                std::vector<std::string>* batches) const {
  if (from >= end) return absl::OkStatus();
  PartitionIterator it(*store_, partition_id_, 0, end, /*fill_cache=*/true);
  // The batch holding `from` starts at or before it.
  it->SeekForPrev(LogKey(partition_id_, from));
  if (it->Valid()) {
    CHORUS_ASSIGN_OR_RETURN(const StoredBatchView batch, it.Batch());
    if (BatchEnd(batch.header) <= from) it->Next();  // `from` was removed
  } else {
    CHORUS_RETURN_IF_ERROR(it.status());
    it->Seek(LogKey(partition_id_, from));
  }
  size_t bytes = 0;
  for (; it->Valid(); it->Next()) {
    batches->emplace_back(it->value().ToStringView());
    bytes += it->value().size();
    if (bytes >= max_bytes) return absl::OkStatus();
  }
  return it.status();
}

absl::StatusOr<uint64_t> PartitionLog::FindOffsetAtTime(int64_t time_ms,
                                                        uint64_t start,
                                                        uint64_t end) const {
  if (start >= end) return end;
  PartitionIterator it(*store_, partition_id_, 0, end, /*fill_cache=*/true);
  it->SeekToFirst();
  if (!it->Valid()) {
    CHORUS_RETURN_IF_ERROR(it.status());
    return end;
  }
  // Invariant: no offset in [start, lo) matches; if hi_matches, hi is the
  // first offset that does (else nothing in [start, hi) is known to match).
  // Timestamps never decrease, so matching offsets form a suffix of the
  // stored ones; offsets past the last batch match nothing but bound hi.
  uint64_t lo = std::max(start, it.BaseOffset());
  uint64_t hi = end;
  bool hi_matches = false;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    it->SeekForPrev(LogKey(partition_id_, mid));
    if (!it->Valid()) {
      // Retention removed the batches up to mid since we clamped.
      CHORUS_RETURN_IF_ERROR(it.status());
      lo = mid + 1;
      continue;
    }
    CHORUS_ASSIGN_OR_RETURN(const StoredBatchView batch, it.Batch());
    if (BatchEnd(batch.header) <= mid) {  // past the last batch
      hi = mid;
      hi_matches = false;
    } else if (batch.header.timestamp_ms >= time_ms) {
      hi = std::max(batch.header.base_offset, lo);
      hi_matches = true;
    } else {
      lo = BatchEnd(batch.header);
    }
  }
  return hi_matches ? hi : end;
}

absl::StatusOr<uint64_t> PartitionLog::ApplyRetention(
    const RetentionPolicy& policy, int64_t now_ms) {
  if (start_offset_ == next_offset_) return start_offset_;
  uint64_t retained_bytes = 0;
  if (policy.max_bytes > 0) {
    CHORUS_ASSIGN_OR_RETURN(retained_bytes, SizeBytes());
  }
  const int64_t min_timestamp_ms =
      policy.max_age_ms > 0 &&
              now_ms > std::numeric_limits<int64_t>::min() + policy.max_age_ms
          ? now_ms - policy.max_age_ms
          : std::numeric_limits<int64_t>::min();

  // Every limit removes a prefix of the batches (timestamps never decrease),
  // so walk from the oldest until one batch is within all of them.
  PartitionIterator it(*store_, partition_id_, start_offset_, next_offset_,
                       /*fill_cache=*/false);
  uint64_t new_start = start_offset_;
  uint64_t removed_bytes = 0;
  for (it->SeekToFirst(); it->Valid();) {
    CHORUS_ASSIGN_OR_RETURN(const StoredBatchView batch, it.Batch());
    const uint64_t size = it->value().size();
    const bool too_old = batch.header.timestamp_ms < min_timestamp_ms;
    const bool too_big = policy.max_bytes > 0 &&
                         retained_bytes > removed_bytes + policy.max_bytes;
    const bool too_many =
        policy.max_messages > 0 &&
        next_offset_ - BatchEnd(batch.header) >= policy.max_messages;
    if (!too_old && !too_big && !too_many) break;
    it->Next();
    // The newest stored batch stays: recovery reads the next offset from it.
    if (!it->Valid()) break;
    removed_bytes += size;
    new_start = it.BaseOffset();
  }
  CHORUS_RETURN_IF_ERROR(it.status());
  if (new_start == start_offset_) return start_offset_;

  CHORUS_RETURN_IF_ERROR(FromRocksDb(
      store_->db()->DeleteRange(rocksdb::WriteOptions(), store_->log_family(),
                                LogKey(partition_id_, start_offset_),
                                LogKey(partition_id_, new_start)),
      absl::StrCat("delete partition ", partition_id_, " offsets ",
                   start_offset_, "..", new_start)));
  store_->RangeDeletionsWritten(store_->log_family());
  start_offset_ = new_start;
  if (size_bytes_.has_value()) {
    *size_bytes_ -= std::min(*size_bytes_, removed_bytes);
  }
  return start_offset_;
}

absl::StatusOr<uint64_t> PartitionLog::SizeBytes() {
  if (!size_bytes_.has_value()) {
    PartitionIterator it(*store_, partition_id_, 0, kNoOffset,
                         /*fill_cache=*/false);
    uint64_t total = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      total += it->value().size();
    }
    CHORUS_RETURN_IF_ERROR(it.status());
    size_bytes_ = total;
  }
  return *size_bytes_;
}

void PartitionLog::StageDeleteAll(CommitBatch* commit) {
  store_->StageDeletePartition(partition_id_, commit);
  start_offset_ = next_offset_;
  size_bytes_ = 0;
}

}  // namespace chorus::storage
