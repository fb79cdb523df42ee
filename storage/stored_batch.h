// The stored batch format: the value of each `log` key.
//
// A stored batch is a serialized wire::StoredBatch (proto/storage.proto):
// the broker-stamped header fields and the publisher's records as they came.
// Its field numbers equal Deliver's, so its bytes are delivered verbatim.
//
//   std::string value;
//   AppendStoredBatch(header, records, &value);
//   CHORUS_ASSIGN_OR_RETURN(StoredBatchView view, ParseStoredBatch(value));
#ifndef CHORUS_STORAGE_STORED_BATCH_H_
#define CHORUS_STORAGE_STORED_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace chorus::storage {

struct StoredBatchHeader {
  uint64_t base_offset = 0;
  int64_t timestamp_ms = 0;
  std::string_view publisher;
  uint32_t count = 0;
  // The idempotence identity of the publish (Publish.producer_id and
  // .sequence): the sequence is that of the batch's first record. 0 and 0
  // for a publish without one.
  uint64_t producer_id = 0;
  uint64_t producer_sequence = 0;
};

// The idempotence identity of a publish (see StoredBatchHeader).
struct ProducerStamp {
  uint64_t id = 0;
  uint64_t sequence = 0;
};

// A decoded stored batch; the views point into the parsed value.
struct StoredBatchView {
  StoredBatchHeader header;
  std::string_view records;
};

// Appends the encoding of a stored batch to `*out`.
void AppendStoredBatch(const StoredBatchHeader& header,
                       std::string_view records, std::string* out);

// Decodes a stored value without copying. kDataLoss if it is not a valid
// stored batch (bad structure, count of zero).
absl::StatusOr<StoredBatchView> ParseStoredBatch(std::string_view value);

// The log key of a batch: partition_id then base_offset, both u64 big-endian,
// so that keys sort by partition then offset.
std::string LogKey(uint64_t partition_id, uint64_t base_offset);

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_STORED_BATCH_H_
