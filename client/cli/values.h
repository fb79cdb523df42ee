// Parsers for the values of the chorus tool's flags.
//
//   ParseStartPosition("offset:42");      // StartPosition::Offset(42)
//   ParseStartPosition("time:2024-05-01T12:00:00Z");
//   ParseRetentionAge("7d");              // absl::Hours(168)
//   ParseTimeout("2.5");                  // absl::Milliseconds(2500)
//
// Errors are kInvalidArgument with a message that says what was expected;
// callers prefix the flag name.
#ifndef CHORUS_CLIENT_CLI_VALUES_H_
#define CHORUS_CLIENT_CLI_VALUES_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace chorus::cli {

// latest | earliest | offset:N | time:RFC3339 | last:N
absl::StatusOr<StartPosition> ParseStartPosition(std::string_view text);

// A non-negative duration as absl::ParseDuration reads it ("90s", "1h30m",
// "0"), plus a leading days part: "7d", "1.5d", "1d12h".
absl::StatusOr<absl::Duration> ParseRetentionAge(std::string_view text);

// A positive number of seconds ("10", "0.5") or a duration ("1m", "250ms").
absl::StatusOr<absl::Duration> ParseTimeout(std::string_view text);

// A decimal integer in [min, max].
absl::StatusOr<uint64_t> ParseUnsigned(std::string_view text, uint64_t min,
                                       uint64_t max);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_VALUES_H_
