// ProducerTable: the idempotence state of one partition — for each producer
// that published to it (Publish.producer_id), the sequence it is at and its
// last few batches, so that a retried batch is stored once and acknowledged
// with the offsets it got the first time.
//
// Kept in memory and in the Store's `producers` column family, one row per
// producer (key: partition_id u64 BE | producer_id u64 BE), staged in the
// same group commit as the appends it describes, at most one put per
// producer per commit. Everything in it is also in the log (each stored
// batch carries its producer and sequence), so a replica can rebuild it.
//
//   CHORUS_ASSIGN_OR_RETURN(auto table, ProducerTable::Load(store, id));
//   ProducerTable::Verdict verdict = table->Classify(producer, seq, count);
//   if (verdict.kind == ProducerTable::Verdict::kNext) {
//     StoredBatchHeader header = log->Append(..., &commit, &value, stamp);
//     table->Record(producer, {seq, header.base_offset, count}, now_ms);
//   }
//   table->StageWrites(&commit);  // once, just before the commit
#ifndef CHORUS_STORAGE_PRODUCER_TABLE_H_
#define CHORUS_STORAGE_PRODUCER_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "proto/frame_codec.h"
#include "storage/store.h"

namespace chorus::storage {

// Ownership and threading: owned by its partition and used on the
// partition's shard only. Load and StageWrites touch RocksDB (a scan, and
// puts into a CommitBatch); the other calls are memory only.
class ProducerTable {
 public:
  // Batches remembered per producer: a retry of an older one is known to be
  // stored but cannot be given its offsets (see proto::kProducerWindowBatches).
  static constexpr size_t kBatchesKept = proto::kProducerWindowBatches;
  // Producers remembered per partition. Past it, the one that appended
  // longest ago is forgotten (its row deleted); should it come back, it is a
  // new producer to the partition (which expects its sequence 0).
  static constexpr size_t kMaxProducers = 1024;

  // A stored batch: its first record's sequence, where it went, how many.
  struct Batch {
    uint64_t sequence = 0;
    uint64_t base_offset = 0;
    uint32_t count = 0;
  };

  // What a batch of a producer is to the partition.
  struct Verdict {
    enum Kind {
      kNext,       // the sequence expected next: append it
      kDuplicate,  // stored already as `original`
      kGap,        // skips ahead of `expected`
      kForgotten,  // below every batch kept: stored, offsets unknown
      kMismatch,   // below `expected` but not a kept batch's start and size
    };
    Kind kind = kNext;
    Batch original;
    // The sequence the producer is at (0 for an unknown producer).
    uint64_t expected = 0;
  };

  // Reads the rows of `partition_id`. Errors: kDataLoss for a row that does
  // not decode; kInternal on I/O failure.
  static absl::StatusOr<std::unique_ptr<ProducerTable>> Load(
      Store* store, uint64_t partition_id);

  // How a batch of `count` records from `producer_id` (not 0) whose first
  // record has `sequence` relates to what was stored before.
  Verdict Classify(uint64_t producer_id, uint64_t sequence,
                   uint32_t count) const;

  // Notes an appended batch, which Classify called kNext. It counts at once
  // (a retry arriving before its commit is a duplicate); its row is written
  // by the next StageWrites.
  void Record(uint64_t producer_id, const Batch& batch, int64_t now_ms);

  // True if rows changed since the last StageWrites.
  bool HasWrites() const { return !dirty_.empty() || !evicted_.empty(); }
  // Stages the row of every producer recorded since the last call (one put
  // each) and the deletion of forgotten ones into `commit`.
  void StageWrites(CommitBatch* commit);

  // A commit failed: drops every batch at or past `offset` (none of them was
  // stored), so that the table claims only what the log holds. Rows are
  // not touched: the failed commit carried their writes.
  void ForgetFrom(uint64_t offset);

  size_t size() const { return producers_.size(); }

 private:
  struct Kept {
    uint64_t base_offset = 0;
    uint32_t count = 0;
  };
  // One producer: a ring of its last batches, which hold consecutive
  // sequences from first_sequence up to next_sequence.
  struct Producer {
    uint64_t first_sequence = 0;
    uint64_t next_sequence = 0;
    int64_t last_append_ms = 0;
    uint32_t head = 0;  // index of the oldest kept batch
    uint32_t kept = 0;
    bool dirty = false;
    std::array<Kept, kBatchesKept> batches;

    const Kept& At(uint32_t i) const {
      return batches[(head + i) % kBatchesKept];
    }
  };

  ProducerTable(Store* store, uint64_t partition_id)
      : store_(store), partition_id_(partition_id) {}

  void EvictOldest();
  void EncodeRow(const Producer& producer);

  Store* const store_;
  const uint64_t partition_id_;
  absl::flat_hash_map<uint64_t, Producer> producers_;
  std::vector<uint64_t> dirty_;
  std::vector<uint64_t> evicted_;
  std::string row_;  // reused by StageWrites
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_PRODUCER_TABLE_H_
