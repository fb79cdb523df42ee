#include "proto/records.h"

#include "absl/strings/str_cat.h"

namespace chorus::proto {
namespace {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

constexpr uint32_t kRecordSetRecordsField = 1;
constexpr uint32_t kRecordKeyField = 1;
constexpr uint32_t kRecordValueField = 2;
constexpr uint32_t kRecordHeadersField = 3;
constexpr uint32_t kHeaderNameField = 1;
constexpr uint32_t kHeaderValueField = 2;
constexpr size_t kMaxHeaderNameBytes = 255;

uint64_t Tag(uint32_t field, WireType type) {
  return (uint64_t{field} << 3) | type;
}

void AppendBytesField(uint32_t field, std::string_view bytes,
                      std::string* out) {
  AppendVarint(Tag(field, kLengthDelimited), out);
  AppendVarint(bytes.size(), out);
  out->append(bytes);
}

size_t BytesFieldSize(uint32_t field, size_t size) {
  return VarintSize(Tag(field, kLengthDelimited)) + VarintSize(size) + size;
}

// One parsed field: its number and, for length-delimited fields, the bytes.
struct Field {
  uint32_t number = 0;
  WireType type = kVarint;
  std::string_view bytes;
};

// Consumes one field of any wire type from `*in`.
bool ReadField(std::string_view* in, Field* field) {
  uint64_t tag;
  if (!ReadVarint(in, &tag)) return false;
  field->number = static_cast<uint32_t>(tag >> 3);
  field->type = static_cast<WireType>(tag & 7);
  if (field->number == 0) return false;
  uint64_t ignored;
  switch (field->type) {
    case kVarint:
      return ReadVarint(in, &ignored);
    case kFixed64:
    case kFixed32: {
      const size_t size = field->type == kFixed64 ? 8 : 4;
      if (in->size() < size) return false;
      in->remove_prefix(size);
      return true;
    }
    case kLengthDelimited: {
      uint64_t size;
      if (!ReadVarint(in, &size) || size > in->size()) return false;
      field->bytes = in->substr(0, size);
      in->remove_prefix(size);
      return true;
    }
    default:
      return false;
  }
}

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
  Field field;
  while (!body.empty()) {
    if (!ReadField(&body, &field)) return false;
    if (field.type != kLengthDelimited) continue;
    if (field.number == kHeaderNameField) *name = field.bytes;
    if (field.number == kHeaderValueField) *value = field.bytes;
  }
  return true;
}

}  // namespace

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

bool ReadVarint(std::string_view* in, uint64_t* value) {
  uint64_t result = 0;
  for (size_t i = 0; i < in->size() && i < 10; ++i) {
    const auto byte = static_cast<unsigned char>((*in)[i]);
    result |= uint64_t{byte & 0x7fu} << (7 * i);
    if (byte < 0x80) {
      in->remove_prefix(i + 1);
      *value = result;
      return true;
    }
  }
  return false;
}

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
  AppendVarint(Tag(kRecordSetRecordsField, kLengthDelimited), records);
  AppendVarint(body_size, records);
  if (!key.empty()) AppendBytesField(kRecordKeyField, key, records);
  if (!value.empty()) AppendBytesField(kRecordValueField, value, records);
  for (const HeaderPair& header : headers) {
    AppendVarint(Tag(kRecordHeadersField, kLengthDelimited), records);
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
    Field field;
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
    Field inner;
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
  Field field;
  while (!rest_.empty()) {
    if (!ReadField(&rest_, &field)) return false;
    if (field.number == kRecordHeadersField && field.type == kLengthDelimited) {
      return ParseHeader(field.bytes, name, value);
    }
  }
  return false;
}

}  // namespace chorus::proto
