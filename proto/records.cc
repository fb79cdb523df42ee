#include "proto/records.h"

#include "absl/strings/str_cat.h"
#include "proto/wire_format.h"

namespace chorus::proto {
namespace {

constexpr uint32_t kRecordSetRecordsField = 1;
constexpr uint32_t kRecordKeyField = 1;
constexpr uint32_t kRecordValueField = 2;
constexpr uint32_t kRecordHeadersField = 3;
constexpr uint32_t kHeaderNameField = 1;
constexpr uint32_t kHeaderValueField = 2;
constexpr size_t kMaxHeaderNameBytes = 255;

bool ValidHeaderName(std::string_view name) {
  if (name.empty() || name.size() > kMaxHeaderNameBytes) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// Checks one Header message body; fills name and value.
bool ParseHeader(std::string_view body, std::string_view* name,
                 std::string_view* value) {
  *name = {};
  *value = {};
  WireField field;
  while (!body.empty()) {
    if (!ReadField(&body, &field)) return false;
    if (field.type != kLengthDelimited) continue;
    if (field.number == kHeaderNameField) *name = field.bytes;
    if (field.number == kHeaderValueField) *value = field.bytes;
  }
  return true;
}

}  // namespace

void AppendRecord(std::string_view key, std::string_view value,
                  absl::Span<const HeaderPair> headers, std::string* records) {
  size_t body_size = 0;
  if (!key.empty()) body_size += BytesFieldSize(kRecordKeyField, key.size());
  if (!value.empty()) {
    body_size += BytesFieldSize(kRecordValueField, value.size());
  }
  for (const HeaderPair& header : headers) {
    const size_t header_size =
        BytesFieldSize(kHeaderNameField, header.first.size()) +
        BytesFieldSize(kHeaderValueField, header.second.size());
    body_size += BytesFieldSize(kRecordHeadersField, header_size);
  }
  records->reserve(records->size() +
                   BytesFieldSize(kRecordSetRecordsField, body_size));
  AppendVarint(FieldTag(kRecordSetRecordsField, kLengthDelimited), records);
  AppendVarint(body_size, records);
  if (!key.empty()) AppendBytesField(kRecordKeyField, key, records);
  if (!value.empty()) AppendBytesField(kRecordValueField, value, records);
  for (const HeaderPair& header : headers) {
    AppendVarint(FieldTag(kRecordHeadersField, kLengthDelimited), records);
    AppendVarint(BytesFieldSize(kHeaderNameField, header.first.size()) +
                     BytesFieldSize(kHeaderValueField, header.second.size()),
                 records);
    AppendBytesField(kHeaderNameField, header.first, records);
    AppendBytesField(kHeaderValueField, header.second, records);
  }
}

bool RecordReader::Next(RecordView* record) {
  while (!rest_.empty() && status_.ok()) {
    const char* start = rest_.data();
    WireField field;
    if (!ReadField(&rest_, &field)) {
      status_ = absl::InvalidArgumentError("malformed record batch");
      return false;
    }
    if (field.number != kRecordSetRecordsField ||
        field.type != kLengthDelimited) {
      continue;  // unknown field of a newer writer
    }
    *record = RecordView{};
    record->encoded = std::string_view(start, rest_.data() - start);
    record->body = field.bytes;
    std::string_view body = field.bytes;
    WireField inner;
    while (!body.empty()) {
      if (!ReadField(&body, &inner)) {
        status_ = absl::InvalidArgumentError("malformed record");
        return false;
      }
      if (inner.type != kLengthDelimited) continue;
      if (inner.number == kRecordKeyField) record->key = inner.bytes;
      if (inner.number == kRecordValueField) record->value = inner.bytes;
      if (inner.number == kRecordHeadersField) {
        std::string_view name, value;
        if (!ParseHeader(inner.bytes, &name, &value) ||
            !ValidHeaderName(name)) {
          status_ = absl::InvalidArgumentError(
              "malformed header: a name needs 1..255 bytes and no control "
              "characters");
          return false;
        }
        ++record->header_count;
      }
    }
    return true;
  }
  return false;
}

bool HeaderReader::Next(std::string_view* name, std::string_view* value) {
  WireField field;
  while (!rest_.empty()) {
    if (!ReadField(&rest_, &field)) return false;
    if (field.number == kRecordHeadersField && field.type == kLengthDelimited) {
      return ParseHeader(field.bytes, name, value);
    }
  }
  return false;
}

}  // namespace chorus::proto
