// Building and reading the `records` bytes (a serialized RecordSet) without
// materializing Record messages.
//
// Publishers append records straight into a batch; the broker validates and
// slices batches with RecordReader and never re-encodes a record; subscribers
// read keys, values and headers as views into the delivered bytes:
//
//   std::string batch;
//   AppendRecord("svc-1", "up", {{"region", "eu"}}, &batch);
//   RecordReader reader(batch);
//   RecordView record;
//   while (reader.Next(&record)) Use(record.key, record.value);
//   if (!reader.status().ok()) { /* malformed */ }
#ifndef CHORUS_PROTO_RECORDS_H_
#define CHORUS_PROTO_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace chorus::proto {

using HeaderPair = std::pair<std::string, std::string>;

// Appends one Record (as RecordSet field 1) to `*records`.
void AppendRecord(std::string_view key, std::string_view value,
                  absl::Span<const HeaderPair> headers, std::string* records);

// One record inside a RecordSet. The views point into the reader's input.
struct RecordView {
  std::string_view encoded;  // the whole field: tag, length and body
  std::string_view body;     // the Record message bytes
  std::string_view key;
  std::string_view value;
  uint32_t header_count = 0;
};

// Walks the records of a RecordSet, checking structure as it goes: every
// field well-formed, header names of 1..255 bytes with no control characters.
// Unknown fields are skipped, for forward compatibility.
class RecordReader {
 public:
  explicit RecordReader(std::string_view records) : rest_(records) {}

  // Returns true with `*record` filled, or false at the end of the input or
  // on malformed input; status() then tells which (kInvalidArgument).
  bool Next(RecordView* record);
  const absl::Status& status() const { return status_; }

 private:
  std::string_view rest_;
  absl::Status status_;
};

// Walks the headers of one record body (RecordView::body), already checked
// by RecordReader.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view record_body) : rest_(record_body) {}
  bool Next(std::string_view* name, std::string_view* value);

 private:
  std::string_view rest_;
};

}  // namespace chorus::proto

#endif  // CHORUS_PROTO_RECORDS_H_
