#include "client/cli/values.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A non-negative decimal number such as "7" or "1.5" (no sign, no exponent).
bool ParseDecimal(std::string_view text, double* value) {
  if (text.empty()) return false;
  int dots = 0;
  for (char c : text) {
    if (c == '.') {
      ++dots;
    } else if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots <= 1 && text != "." && absl::SimpleAtod(AsAbsl(text), value);
}

}  // namespace

absl::StatusOr<uint64_t> ParseUnsigned(std::string_view text, uint64_t min,
                                       uint64_t max) {
  uint64_t value = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(AsAbsl(text), &value) ||
      value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("expected an integer in ",
                                                   min, "..", max, ", got \"",
                                                   AsAbsl(text), "\""));
  }
  return value;
}

absl::StatusOr<StartPosition> ParseStartPosition(std::string_view text) {
  if (text == "latest") return StartPosition::Latest();
  if (text == "earliest") return StartPosition::Earliest();
  if (text == "snapshot") return StartPosition::Snapshot();
  const size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  const std::string_view arg =
      colon == std::string_view::npos ? "" : text.substr(colon + 1);
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (colon != std::string_view::npos) {
    if (kind == "offset" || kind == "last") {
      absl::StatusOr<uint64_t> n = ParseUnsigned(arg, 0, kMax);
      if (!n.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(AsAbsl(kind), ":N: ", n.status().message()));
      }
      return kind == "offset" ? StartPosition::Offset(*n)
                              : StartPosition::Last(*n);
    }
    if (kind == "time") {
      absl::Time time;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, std::string(arg), &time,
                           &error)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "time: expected an RFC 3339 time such as 2024-05-01T12:00:00Z, "
            "got \"",
            AsAbsl(arg), "\" (", error, ")"));
      }
      return StartPosition::Time(time);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "expected latest, earliest, offset:N, time:RFC3339, last:N or snapshot, "
      "got \"",
      AsAbsl(text), "\""));
}

absl::StatusOr<absl::Duration> ParseRetentionAge(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a duration such as 30m, 12h or 7d, got \"",
                     AsAbsl(text), "\""));
  };
  absl::Duration total = absl::ZeroDuration();
  std::string_view rest = text;
  if (const size_t d = rest.find('d'); d != std::string_view::npos) {
    double days = 0;
    if (!ParseDecimal(rest.substr(0, d), &days)) return bad();
    total = absl::Hours(24) * days;
    rest.remove_prefix(d + 1);
    if (rest.empty()) return total;
  }
  absl::Duration part;
  if (!absl::ParseDuration(std::string(rest), &part) ||
      part < absl::ZeroDuration() || part == absl::InfiniteDuration()) {
    return bad();
  }
  return total + part;
}

absl::StatusOr<absl::Duration> ParseTimeout(std::string_view text) {
  double seconds = 0;
  absl::Duration timeout;
  if (ParseDecimal(text, &seconds) && std::isfinite(seconds)) {
    timeout = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(std::string(text), &timeout)) {
    timeout = absl::ZeroDuration();
  }
  if (timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a positive number of seconds such as 5 or 0.5, got \"",
        AsAbsl(text), "\""));
  }
  return timeout;
}

}  // namespace chorus::cli
