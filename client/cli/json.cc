#include "client/cli/json.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace chorus::cli {
namespace {

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

void AppendUnicodeEscape(unsigned char c, std::string* out) {
  constexpr char kHex[] = "0123456789abcdef";
  out->append("\\u00");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xF]);
}

}  // namespace

void AppendJsonString(std::string_view bytes, std::string* out) {
  out->push_back('"');
  while (!bytes.empty()) {
    const auto c = static_cast<unsigned char>(bytes.front());
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(bytes);
      if (length == 0) {
        AppendUnicodeEscape(c, out);
        bytes.remove_prefix(1);
      } else {
        out->append(bytes.substr(0, length));
        bytes.remove_prefix(length);
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          AppendUnicodeEscape(c, out);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    bytes.remove_prefix(1);
  }
  out->push_back('"');
}

std::string FormatTimestamp(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string MessageToJson(const ReceivedMessage& message) {
  std::string out = "{\"topic\":";
  AppendJsonString(message.topic, &out);
  absl::StrAppend(&out, ",\"partition\":", message.partition,
                  ",\"offset\":", message.offset, ",\"timestamp\":\"",
                  FormatTimestamp(message.timestamp_ms), "\",\"publisher\":");
  AppendJsonString(message.publisher, &out);
  out.append(",\"key\":");
  if (message.key.empty()) {
    out.append("null");
  } else {
    AppendJsonString(message.key, &out);
  }
  out.append(",\"headers\":{");
  // A JSON object keeps one value per name: the last one wins.
  for (size_t i = 0; i < message.headers.size(); ++i) {
    bool repeated_later = false;
    for (size_t j = i + 1; j < message.headers.size(); ++j) {
      repeated_later |= message.headers[j].first == message.headers[i].first;
    }
    if (repeated_later) continue;
    if (out.back() != '{') out.push_back(',');
    AppendJsonString(message.headers[i].first, &out);
    out.push_back(':');
    AppendJsonString(message.headers[i].second, &out);
  }
  out.append("},\"value\":");
  AppendJsonString(message.value, &out);
  if (message.delivery_count > 0) {
    absl::StrAppend(&out, ",\"delivery_count\":", message.delivery_count);
  }
  out.push_back('}');
  return out;
}

}  // namespace chorus::cli
