#include "proto/wire_format.h"

namespace chorus::proto {

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

void AppendVarintField(uint32_t field, uint64_t value, std::string* out) {
  AppendVarint(FieldTag(field, kVarint), out);
  AppendVarint(value, out);
}

size_t VarintFieldSize(uint32_t field, uint64_t value) {
  return VarintSize(FieldTag(field, kVarint)) + VarintSize(value);
}

void AppendBytesField(uint32_t field, std::string_view bytes,
                      std::string* out) {
  AppendVarint(FieldTag(field, kLengthDelimited), out);
  AppendVarint(bytes.size(), out);
  out->append(bytes);
}

size_t BytesFieldSize(uint32_t field, size_t size) {
  return VarintSize(FieldTag(field, kLengthDelimited)) + VarintSize(size) +
         size;
}

bool ReadField(std::string_view* in, WireField* field) {
  uint64_t tag;
  if (!ReadVarint(in, &tag)) return false;
  field->number = static_cast<uint32_t>(tag >> 3);
  field->type = static_cast<WireType>(tag & 7);
  field->varint = 0;
  field->bytes = {};
  if (field->number == 0) return false;
  switch (field->type) {
    case kVarint:
      return ReadVarint(in, &field->varint);
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

}  // namespace chorus::proto
