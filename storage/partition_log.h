// PartitionLog: the append-only log of one partition, stored as batches in
// the Store's `log` column family.
//
//   CHORUS_ASSIGN_OR_RETURN(auto log, PartitionLog::Open(store, id));
//   std::string value;
//   StoredBatchHeader header =
//       log->Append(records, count, "svc-a", NowMs(), &commit, &value);
//   store->Commit(std::move(commit), on_stored);
//   std::vector<std::string> batches;
//   log->Read(header.base_offset, header.base_offset + count, 1 << 20,
//   &batches);
#ifndef CHORUS_STORAGE_PARTITION_LOG_H_
#define CHORUS_STORAGE_PARTITION_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"
#include "storage/stored_batch.h"

namespace chorus::storage {

// Retention limits of a partition; zero means unlimited.
struct RetentionPolicy {
  int64_t max_age_ms = 0;
  uint64_t max_bytes = 0;
  uint64_t max_messages = 0;
};

// Ownership and threading: owned by the broker's partition object and lives
// on the partition's owning shard. Append, ApplyRetention, StageDeleteAll,
// SizeBytes and the offset accessors are called only from that shard. Read
// and FindOffsetAtTime are thread-safe (they only read RocksDB) and may run
// on any shard, bounded by an end offset the caller knows is committed.
class PartitionLog {
 public:
  // Opens the log of `partition_id`, recovering start and next offsets and the
  // last timestamp from the first and last stored batches (0 and 0 for an
  // empty partition). kDataLoss if the last batch does not decode or
  // disagrees with its key; kInternal on other I/O failures.
  static absl::StatusOr<std::unique_ptr<PartitionLog>> Open(
      Store* store, uint64_t partition_id);

  uint64_t partition_id() const { return partition_id_; }
  Store* store() const { return store_; }
  // First retained offset.
  uint64_t start_offset() const { return start_offset_; }
  // Offset the next appended message gets.
  uint64_t next_offset() const { return next_offset_; }

  // Stamps a batch of `count` records: base offset = next_offset(), timestamp
  // = max(now_ms, previous batch's timestamp) so timestamps never go back.
  // Appends its StoredBatch encoding to `*stored_value` and stages the put in
  // `*commit`. Offsets are taken at once; the batch is durable only when the
  // commit is. If the commit fails, the broker must stop using this log.
  // `count` must be positive; the returned header's publisher views
  // `publisher`. `producer` is stored in the header as it is (the caller
  // checks sequences: ProducerTable).
  StoredBatchHeader Append(std::string_view records, uint32_t count,
                           std::string_view publisher, int64_t now_ms,
                           CommitBatch* commit, std::string* stored_value,
                           ProducerStamp producer = {});

  // Reads whole stored batches covering offsets [from, end): the first is the
  // batch that holds `from` (it may start before it; the caller slices), or
  // the first batch after `from` if that was removed by retention. Stops after
  // `max_bytes` (at least one batch is returned if any exists). Appends
  // each batch's raw value (a StoredBatch encoding) to `*batches`.
  // Errors: kDataLoss if the batch holding `from` does not decode or on
  // corruption; kInternal on other I/O failures.
  absl::Status Read(uint64_t from, uint64_t end, size_t max_bytes,
                    std::vector<std::string>* batches) const;

  // The first offset in [start, end) whose batch timestamp is >= time_ms, or
  // `end` if none is: the base offset of that batch, or `start` if it is
  // inside it. Offsets before the first retained batch are skipped. Binary
  // search over batches (timestamps never decrease). Errors as for Read.
  absl::StatusOr<uint64_t> FindOffsetAtTime(int64_t time_ms, uint64_t start,
                                            uint64_t end) const;

  // Deletes whole batches that fall outside `policy` (one DeleteRange) and
  // returns the new start offset. A batch is removed only if all of it is out
  // of policy; the newest batch is kept for the offsets to stay recoverable.
  // The limits (each applied on its own, a batch goes if one says so): age,
  // the batch's timestamp is older than now_ms - max_age_ms; bytes, the
  // retained bytes exceed max_bytes; messages, max_messages remain without
  // the batch. Errors as for Read and SizeBytes; on error nothing changed.
  absl::StatusOr<uint64_t> ApplyRetention(const RetentionPolicy& policy,
                                          int64_t now_ms);

  // Stored bytes (value sizes) of the retained batches: computed by one scan
  // of the partition on first use, then kept up to date by Append,
  // ApplyRetention and StageDeleteAll (Append counts a batch before its commit;
  // a batch appended but not yet committed at the first scan is missed).
  // Errors as for Read.
  absl::StatusOr<uint64_t> SizeBytes();

  // Stages the removal of every batch and status key of the partition in
  // `commit` (topic deletion, after Store::DeleteTopic marked it): staged
  // behind the appends already in the commit, so none of them outlives it.
  // next_offset() stays, so this object never reuses an offset.
  void StageDeleteAll(CommitBatch* commit);

 private:
  PartitionLog(Store* store, uint64_t partition_id);

  Store* store_;
  uint64_t partition_id_;
  uint64_t start_offset_ = 0;
  uint64_t next_offset_ = 0;
  int64_t last_timestamp_ms_ = 0;
  std::optional<uint64_t> size_bytes_;
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_PARTITION_LOG_H_
