// BatchWalker: steps forward through the records of one partition's log,
// reading a stored batch only when the offset asked for is outside the one
// in hand. For visiting scattered offsets in increasing order (redelivery)
// at the cost of one log read per batch, not per offset.
//
//   BatchWalker walker(partition.log());
//   absl::StatusOr<bool> found = walker.Seek(offset);
//   if (found.ok() && *found) Use(walker.record().key, walker.stored());
//
// Not thread-safe; the log must be readable up to every offset sought.
#ifndef CHORUS_BROKER_BATCH_WALKER_H_
#define CHORUS_BROKER_BATCH_WALKER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/records.h"
#include "storage/partition_log.h"
#include "storage/stored_batch.h"

namespace chorus::broker {

class BatchWalker {
 public:
  explicit BatchWalker(const storage::PartitionLog& log) : log_(log) {}

  // Moves to the record at `offset`. False if retention removed it;
  // kDataLoss if its batch does not decode; kInternal on I/O failure.
  // Seeking backwards re-reads the batch.
  absl::StatusOr<bool> Seek(uint64_t offset);

  // The batch in hand, as stored, and the record found by the last Seek.
  std::string_view stored() const { return batch_; }
  const storage::StoredBatchHeader& header() const { return view_.header; }
  const proto::RecordView& record() const { return record_; }

 private:
  bool Holds(uint64_t offset) const {
    return !batch_.empty() && offset >= view_.header.base_offset &&
           offset < view_.header.base_offset + view_.header.count;
  }

  const storage::PartitionLog& log_;
  std::string batch_;
  storage::StoredBatchView view_;
  std::optional<proto::RecordReader> reader_;
  uint64_t reader_next_ = 0;  // offset of the record reader_ reads next
  proto::RecordView record_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_BATCH_WALKER_H_
