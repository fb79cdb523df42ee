#include "client/cli/json.h"

#include <string_view>
#include <utility>

#include "absl/time/time.h"

namespace chorus::cli {
namespace {

using Json = nlohmann::ordered_json;

// The length of the valid UTF-8 sequence at the start of `s`, or 0 if it
// does not start with one (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length;
  unsigned char min = 0x80;
  unsigned char max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min = 0xA0;  // overlong
    if (lead == 0xED) max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min = 0x90;  // overlong
    if (lead == 0xF4) max = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  if (byte(1) < min || byte(1) > max) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// Where the first byte that is not part of valid UTF-8 is, or npos.
size_t FirstInvalidByte(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text.substr(i));
    if (length == 0) return i;
    i += length;
  }
  return std::string_view::npos;
}

// Re-encodes each byte of `*text` that is not part of valid UTF-8 as the
// UTF-8 of the Latin-1 code point it stands for (0xFF becomes U+00FF).
// Returns whether there was one.
bool RepairUtf8(std::string* text) {
  size_t at = FirstInvalidByte(*text);
  if (at == std::string_view::npos) return false;
  std::string repaired = text->substr(0, at);
  const std::string_view all = *text;
  while (at < all.size()) {
    const size_t length = Utf8SequenceLength(all.substr(at));
    if (length > 0) {
      repaired.append(all.substr(at, length));
      at += length;
      continue;
    }
    const auto byte = static_cast<unsigned char>(all[at]);  // >= 0x80
    repaired.push_back(static_cast<char>(0xC0 | (byte >> 6)));
    repaired.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    ++at;
  }
  *text = std::move(repaired);
  return true;
}

// RepairUtf8 on every string of `*value`, object keys included.
bool RepairStrings(Json* value) {
  bool changed = false;
  if (value->is_string()) {
    changed = RepairUtf8(value->get_ptr<std::string*>());
  } else if (value->is_array()) {
    for (Json& element : *value) changed |= RepairStrings(&element);
  } else if (value->is_object()) {
    bool keys_valid = true;
    for (auto& [key, element] : value->items()) {
      keys_valid &= FirstInvalidByte(key) == std::string_view::npos;
      changed |= RepairStrings(&element);
    }
    if (!keys_valid) {
      Json repaired = Json::object();
      for (auto& [key, element] : value->items()) {
        std::string name = key;
        RepairUtf8(&name);
        repaired[name] = std::move(element);
      }
      *value = std::move(repaired);
      changed = true;
    }
  }
  return changed;
}

}  // namespace

std::string JsonLine(Json value) {
  const bool ascii = RepairStrings(&value);
  return value.dump(-1, ' ', ascii);
}

std::string FormatTimestamp(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string MessageToJson(const ReceivedMessage& message) {
  Json headers = Json::object();
  // A JSON object keeps one value per name: the last one wins.
  for (size_t i = 0; i < message.headers.size(); ++i) {
    bool repeated_later = false;
    for (size_t j = i + 1; j < message.headers.size(); ++j) {
      repeated_later |= message.headers[j].first == message.headers[i].first;
    }
    if (repeated_later) continue;
    headers[std::string(message.headers[i].first)] =
        std::string(message.headers[i].second);
  }
  Json line = Json::object();
  line["topic"] = std::string(message.topic);
  line["partition"] = message.partition;
  line["offset"] = message.offset;
  line["timestamp"] = FormatTimestamp(message.timestamp_ms);
  line["publisher"] = std::string(message.publisher);
  line["key"] =
      message.key.empty() ? Json(nullptr) : Json(std::string(message.key));
  line["headers"] = std::move(headers);
  line["value"] = std::string(message.value);
  if (message.delivery_count > 0) {
    line["delivery_count"] = message.delivery_count;
  }
  return JsonLine(std::move(line));
}

}  // namespace chorus::cli
