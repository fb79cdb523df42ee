// JSON output of the chorus tool, through nlohmann-json: `chorus sub
// --format json` lines, and JsonLine for any value printed as one line.
//
//   std::string line = MessageToJson(message);
//   // {"topic":"acme.x","partition":0,"offset":41,
//   //  "timestamp":"2024-05-01T12:00:00.123Z","publisher":"svc-1",
//   //  "key":"eu-1","headers":{"region":"eu"},"value":"up"}
#ifndef CHORUS_CLIENT_CLI_JSON_H_
#define CHORUS_CLIENT_CLI_JSON_H_

#include <cstdint>
#include <string>

#include "client/client.h"
#include "nlohmann/json.hpp"

namespace chorus::cli {

// `value` as one line of JSON, without a newline. Strings that are valid
// UTF-8 pass through, with '"', '\\' and control characters escaped
// (\n, \t... or \u00XX). Messages are bytes, though, and nlohmann-json
// cannot write a string that is not UTF-8 (its dump throws, drops or
// replaces such bytes), so a value holding one is written in ASCII
// instead: each byte that is not part of valid UTF-8 as \u00XX (the byte
// read as a Latin-1 code point, so that binary data stays readable and
// reversible), every other non-ASCII character as a \uXXXX escape.
std::string JsonLine(nlohmann::ordered_json value);

// Unix milliseconds as an RFC 3339 UTC time with milliseconds:
// "2024-05-01T12:00:00.123Z".
std::string FormatTimestamp(int64_t unix_ms);

// One message as a JsonLine object with the fields topic, partition,
// offset, timestamp (FormatTimestamp), publisher, key (null when the
// message has none), headers (an object; a repeated name keeps its last
// value, at the place of that value) and value, then delivery_count when
// the subscription counts deliveries.
std::string MessageToJson(const ReceivedMessage& message);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_JSON_H_
