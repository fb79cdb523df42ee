#include "storage/producer_table.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/key_coding.h"
#include "storage/rocksdb_status.h"

namespace chorus::storage {
namespace {

// Row value: first_sequence u64 BE | last_append_ms i64 BE, then per kept
// batch, oldest first: base_offset u64 BE | count u32 BE.
constexpr size_t kRowHeaderBytes = 16;
constexpr size_t kRowBatchBytes = 12;

struct RowKey {
  char bytes[16];
  RowKey(uint64_t partition_id, uint64_t producer_id) {
    EncodeBigEndian64(partition_id, bytes);
    EncodeBigEndian64(producer_id, bytes + 8);
  }
  rocksdb::Slice slice() const { return rocksdb::Slice(bytes, sizeof(bytes)); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProducerTable>> ProducerTable::Load(
    Store* store, uint64_t partition_id) {
  std::unique_ptr<ProducerTable> table(new ProducerTable(store, partition_id));
  const std::string lower = BigEndian64(partition_id);
  const std::string upper = BigEndian64(partition_id + 1);
  const rocksdb::Slice upper_bound(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(
      store->db()->NewIterator(options, store->producers_family()));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    if (key.size() != 16 || value.size() < kRowHeaderBytes ||
        (value.size() - kRowHeaderBytes) % kRowBatchBytes != 0) {
      return absl::DataLossError(
          absl::StrCat("partition ", partition_id, ": malformed producer row ",
                       it->key().ToString(/*hex=*/true)));
    }
    Producer& producer = table->producers_[DecodeBigEndian64(key.data() + 8)];
    producer.first_sequence = DecodeBigEndian64(value.data());
    producer.last_append_ms =
        static_cast<int64_t>(DecodeBigEndian64(value.data() + 8));
    producer.next_sequence = producer.first_sequence;
    const size_t stored = (value.size() - kRowHeaderBytes) / kRowBatchBytes;
    for (size_t i = 0; i < stored; ++i) {
      const char* at = value.data() + kRowHeaderBytes + i * kRowBatchBytes;
      const Kept batch{DecodeBigEndian64(at), DecodeBigEndian32(at + 8)};
      if (producer.kept == kBatchesKept) {  // stored with a larger window
        producer.first_sequence += producer.At(0).count;
        producer.head = (producer.head + 1) % kBatchesKept;
        --producer.kept;
      }
      producer.batches[(producer.head + producer.kept) % kBatchesKept] = batch;
      ++producer.kept;
      producer.next_sequence += batch.count;
    }
  }
  CHORUS_RETURN_IF_ERROR(
      FromRocksDb(it->status(),
                  absl::StrCat("load producers of partition ", partition_id)));
  return table;
}

ProducerTable::Verdict ProducerTable::Classify(uint64_t producer_id,
                                               uint64_t sequence,
                                               uint32_t count) const {
  auto it = producers_.find(producer_id);
  if (it == producers_.end()) {
    return {.kind = sequence == 0 ? Verdict::kNext : Verdict::kGap};
  }
  const Producer& producer = it->second;
  Verdict verdict{.expected = producer.next_sequence};
  if (sequence == producer.next_sequence) {
    verdict.kind = Verdict::kNext;
  } else if (sequence > producer.next_sequence) {
    verdict.kind = Verdict::kGap;
  } else if (sequence < producer.first_sequence) {
    verdict.kind = Verdict::kForgotten;
  } else {
    verdict.kind = Verdict::kMismatch;
    uint64_t start = producer.first_sequence;
    for (uint32_t i = 0; i < producer.kept && start <= sequence; ++i) {
      const Kept& kept = producer.At(i);
      if (start == sequence && kept.count == count) {
        verdict.kind = Verdict::kDuplicate;
        verdict.original = {sequence, kept.base_offset, kept.count};
        break;
      }
      start += kept.count;
    }
  }
  return verdict;
}

void ProducerTable::Record(uint64_t producer_id, const Batch& batch,
                           int64_t now_ms) {
  if (!producers_.contains(producer_id) && producers_.size() >= kMaxProducers) {
    EvictOldest();
  }
  Producer& producer = producers_[producer_id];
  if (producer.kept == 0) producer.first_sequence = batch.sequence;
  if (producer.kept == kBatchesKept) {
    producer.first_sequence += producer.At(0).count;
    producer.head = (producer.head + 1) % kBatchesKept;
    --producer.kept;
  }
  producer.batches[(producer.head + producer.kept) % kBatchesKept] = {
      batch.base_offset, batch.count};
  ++producer.kept;
  producer.next_sequence = batch.sequence + batch.count;
  producer.last_append_ms = std::max(producer.last_append_ms, now_ms);
  if (!producer.dirty) {
    producer.dirty = true;
    dirty_.push_back(producer_id);
  }
}

void ProducerTable::EvictOldest() {
  auto oldest = std::min_element(
      producers_.begin(), producers_.end(), [](const auto& a, const auto& b) {
        return a.second.last_append_ms < b.second.last_append_ms;
      });
  evicted_.push_back(oldest->first);
  producers_.erase(oldest);
}

void ProducerTable::EncodeRow(const Producer& producer) {
  row_.resize(kRowHeaderBytes + producer.kept * kRowBatchBytes);
  EncodeBigEndian64(producer.first_sequence, row_.data());
  EncodeBigEndian64(static_cast<uint64_t>(producer.last_append_ms),
                    row_.data() + 8);
  for (uint32_t i = 0; i < producer.kept; ++i) {
    char* at = row_.data() + kRowHeaderBytes + i * kRowBatchBytes;
    EncodeBigEndian64(producer.At(i).base_offset, at);
    EncodeBigEndian32(producer.At(i).count, at + 8);
  }
}

void ProducerTable::StageWrites(CommitBatch* commit) {
  rocksdb::WriteBatch& batch = commit->batch();
  rocksdb::ColumnFamilyHandle* family = store_->producers_family();
  // Deletions first: a producer forgotten and then seen again in the same
  // commit keeps its new row.
  // WriteBatch Put and Delete fail only for entries over 4 GiB.
  for (uint64_t id : evicted_) {
    (void)batch.Delete(family, RowKey(partition_id_, id).slice());
  }
  evicted_.clear();
  for (uint64_t id : dirty_) {
    auto it = producers_.find(id);
    if (it == producers_.end() || !it->second.dirty) continue;  // evicted
    it->second.dirty = false;
    EncodeRow(it->second);
    (void)batch.Put(family, RowKey(partition_id_, id).slice(), row_);
  }
  dirty_.clear();
}

void ProducerTable::ForgetFrom(uint64_t offset) {
  for (auto& [id, producer] : producers_) {
    while (producer.kept > 0 &&
           producer.At(producer.kept - 1).base_offset >= offset) {
      producer.next_sequence -= producer.At(producer.kept - 1).count;
      --producer.kept;
    }
  }
}

}  // namespace chorus::storage
