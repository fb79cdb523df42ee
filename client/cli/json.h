// The output formats of `chorus sub`: JSON strings and message objects.
//
//   std::string line = MessageToJson(message);
//   // {"topic":"acme.x","partition":0,"offset":41,
//   //  "timestamp":"2024-05-01T12:00:00.123Z","publisher":"svc-1",
//   //  "key":"eu-1","headers":{"region":"eu"},"value":"up"}
#ifndef CHORUS_CLIENT_CLI_JSON_H_
#define CHORUS_CLIENT_CLI_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "client/client.h"

namespace chorus::cli {

// Appends `bytes` as a JSON string literal, quotes included. Valid UTF-8
// passes through, except '"', '\\' and control characters, which are
// escaped. Each byte that is not part of valid UTF-8 becomes \u00XX (XX the
// byte's value), so binary data stays readable and reversible as Latin-1
// code points.
void AppendJsonString(std::string_view bytes, std::string* out);

// Unix milliseconds as an RFC 3339 UTC time with milliseconds:
// "2024-05-01T12:00:00.123Z".
std::string FormatTimestamp(int64_t unix_ms);

// One message as a one-line JSON object (no trailing newline) with fields
// topic, partition, offset, timestamp (FormatTimestamp), publisher, key
// (null when the message has none), headers (an object; a repeated name
// keeps its last value) and value.
std::string MessageToJson(const ReceivedMessage& message);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_JSON_H_
