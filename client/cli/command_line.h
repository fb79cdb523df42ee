// The chorus tool's command line: which command to run, with typed options.
//
//   absl::StatusOr<CommandLine> line = ParseCommandLine(
//       {"sub", "acme.>", "--from", "last:10", "--format=json"}, getenv(...));
//   std::get<SubCommand>(line->command).start;  // StartPosition::Last(10)
//
// Usage errors are kInvalidArgument with a one-line message; print it with
// kUsage and exit 2.
#ifndef CHORUS_CLIENT_CLI_COMMAND_LINE_H_
#define CHORUS_CLIENT_CLI_COMMAND_LINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace chorus::cli {

inline constexpr std::string_view kDefaultServer = "127.0.0.1:7400";

extern const char kUsage[];

struct HelpCommand {};

// chorus pub TOPIC [--key K] [--header NAME=VALUE]... [MESSAGE]
struct PubCommand {
  std::string topic;
  std::string key;
  std::vector<Header> headers;
  // Without it, each line of standard input is one message.
  std::optional<std::string> message;
};

// chorus sub FILTER [--from ...] [--count N] [--timeout SECONDS]
//                   [--format text|json]
struct SubCommand {
  enum class Format { kText, kJson };
  std::string filter;
  StartPosition start;
  std::optional<uint64_t> count;
  // Ends the command after this long without a message.
  std::optional<absl::Duration> timeout;
  Format format = Format::kText;
};

// chorus topics create NAME [--partitions N] [--retention-age D]
//                           [--retention-bytes N] [--retention-messages N]
struct TopicsCreateCommand {
  std::string name;
  TopicConfig config;
};
struct TopicsListCommand {};
struct TopicsDescribeCommand {
  std::string name;
};
struct TopicsDeleteCommand {
  std::string name;
};

using Command =
    std::variant<HelpCommand, PubCommand, SubCommand, TopicsCreateCommand,
                 TopicsListCommand, TopicsDescribeCommand, TopicsDeleteCommand>;

struct CommandLine {
  // From --server, else `env_server` when not empty, else kDefaultServer.
  std::string server;
  Command command;
};

// `args` excludes the program name; `env_server` is $CHORUS_SERVER or empty.
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, std::string_view env_server);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_COMMAND_LINE_H_
