// Fuzzes storage::ParseStoredBatch, which reads every value of the log from
// disk: any bytes are either refused with kDataLoss or parsed into a header
// and records that lie inside the value, and a parsed batch re-encodes to a
// value that parses the same. Its records are then walked as a subscriber's
// delivery would be.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "proto/records.h"
#include "storage/stored_batch.h"

namespace {

bool Same(const chorus::storage::StoredBatchView& a,
          const chorus::storage::StoredBatchView& b) {
  return a.header.base_offset == b.header.base_offset &&
         a.header.timestamp_ms == b.header.timestamp_ms &&
         a.header.publisher == b.header.publisher &&
         a.header.count == b.header.count && a.records == b.records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<chorus::storage::StoredBatchView> parsed =
      chorus::storage::ParseStoredBatch(value);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  if (parsed->header.count == 0) std::abort();
  const std::string_view records = parsed->records;
  if (!records.empty() &&
      (records.data() < value.data() ||
       records.data() + records.size() > value.data() + value.size())) {
    std::abort();
  }
  std::string encoded;
  chorus::storage::AppendStoredBatch(parsed->header, records, &encoded);
  absl::StatusOr<chorus::storage::StoredBatchView> again =
      chorus::storage::ParseStoredBatch(encoded);
  if (!again.ok() || !Same(*parsed, *again)) std::abort();

  chorus::proto::RecordReader reader(records);
  chorus::proto::RecordView record;
  while (reader.Next(&record)) {
  }
  return 0;
}
