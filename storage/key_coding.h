// Fixed-width big-endian integers, for RocksDB keys and counters that must
// sort as numbers (private to storage/).
//
//   std::string key(8, '\0');
//   EncodeBigEndian64(partition_id, key.data());
//   uint64_t id = DecodeBigEndian64(key.data());
#ifndef CHORUS_STORAGE_KEY_CODING_H_
#define CHORUS_STORAGE_KEY_CODING_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace chorus::storage {

inline void EncodeBigEndian64(uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(value >> (56 - 8 * i));
  }
}

inline uint64_t DecodeBigEndian64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  }
  return value;
}

inline void EncodeBigEndian32(uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<char>(value >> (24 - 8 * i));
  }
}

inline uint32_t DecodeBigEndian32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[i]);
  }
  return value;
}

inline std::string BigEndian64(uint64_t value) {
  std::string bytes(8, '\0');
  EncodeBigEndian64(value, bytes.data());
  return bytes;
}

// Splits a key made by LogKey(); false if `key` is not 16 bytes long.
inline bool ParseLogKey(std::string_view key, uint64_t* partition_id,
                        uint64_t* base_offset) {
  if (key.size() != 16) return false;
  *partition_id = DecodeBigEndian64(key.data());
  *base_offset = DecodeBigEndian64(key.data() + 8);
  return true;
}

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_KEY_CODING_H_
