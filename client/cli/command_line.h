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

// chorus pub TOPIC [--key K] [--header NAME=VALUE]... [--bind]
//                  [--lease-ttl DURATION] [MESSAGE]
struct PubCommand {
  std::string topic;
  std::string key;
  std::vector<Header> headers;
  // Without it, each line of standard input is one message.
  std::optional<std::string> message;
  // Status topics: the key goes stale when this command ends (--bind), or
  // this long after it stopped keeping its lease alive (--lease-ttl).
  bool bind = false;
  std::optional<absl::Duration> lease_ttl;
};

// chorus sub FILTER [--from ...] [--count N] [--timeout SECONDS]
//                   [--format text|json] [--durable NAME | --group NAME]
//                   [--ack none|auto|explicit] [--ack-wait DURATION]
//                   [--max-deliveries N] [--dead-letter TOPIC]
//                   [--from-publisher NAME]
struct SubCommand {
  enum class Format { kText, kJson };
  std::string filter;
  StartPosition start;
  std::optional<uint64_t> count;
  // Ends the command after this long without a message.
  std::optional<absl::Duration> timeout;
  Format format = Format::kText;
  // Name, group, acks, redelivery and publisher filter. With kExplicit
  // (the default for --durable and --group) the command acks each message
  // once it has written it.
  SubscribeOptions options;
};

// chorus subs list | describe NAME | delete NAME
struct SubsListCommand {};
struct SubsDescribeCommand {
  std::string name;
};
struct SubsDeleteCommand {
  std::string name;
};

// chorus status TOPIC [--watch]
struct StatusCommand {
  std::string topic;
  bool watch = false;
};

// chorus topics create NAME [--partitions N] [--retention-age D]
//                           [--retention-bytes N] [--retention-messages N]
//                           [--status]
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
                 TopicsListCommand, TopicsDescribeCommand, TopicsDeleteCommand,
                 SubsListCommand, SubsDescribeCommand, SubsDeleteCommand,
                 StatusCommand>;

struct CommandLine {
  // From --server, else `env_server` when not empty, else kDefaultServer.
  std::string server;
  // The identity the broker stamps on what this command publishes: from
  // --client-name, else "chorus-cli".
  std::string client_name = "chorus-cli";
  Command command;
};

// `args` excludes the program name; `env_server` is $CHORUS_SERVER or empty.
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, std::string_view env_server);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_COMMAND_LINE_H_
