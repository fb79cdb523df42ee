// Protobuf wire-format primitives for the codecs that build and read
// messages by hand (records, stored batches, deliveries) so that bulk bytes
// are sliced and concatenated instead of copied into message objects.
//
//   std::string out;
//   AppendBytesField(2, "value", &out);
//   std::string_view in = out;
//   WireField field;
//   while (ReadField(&in, &field)) { ... }
#ifndef CHORUS_PROTO_WIRE_FORMAT_H_
#define CHORUS_PROTO_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chorus::proto {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

constexpr uint64_t FieldTag(uint32_t field, WireType type) {
  return (uint64_t{field} << 3) | type;
}

void AppendVarint(uint64_t value, std::string* out);
size_t VarintSize(uint64_t value);
// Consumes a varint from the front of `*in`; false if truncated or too long.
bool ReadVarint(std::string_view* in, uint64_t* value);

// A varint field (tag and value), and its encoded size.
void AppendVarintField(uint32_t field, uint64_t value, std::string* out);
size_t VarintFieldSize(uint32_t field, uint64_t value);
// A length-delimited field (tag, length, bytes), and its encoded size.
void AppendBytesField(uint32_t field, std::string_view bytes, std::string* out);
size_t BytesFieldSize(uint32_t field, size_t size);

// One field as read from the wire.
struct WireField {
  uint32_t number = 0;
  WireType type = kVarint;
  uint64_t varint = 0;     // the value of a kVarint field
  std::string_view bytes;  // the payload of a kLengthDelimited field
};

// Consumes one field of any wire type from the front of `*in`. False on
// malformed input (bad tag, field number 0, unknown wire type, truncation).
bool ReadField(std::string_view* in, WireField* field);

}  // namespace chorus::proto

#endif  // CHORUS_PROTO_WIRE_FORMAT_H_
