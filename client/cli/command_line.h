// The chorus tool's command line: which command to run, with typed options,
// and where to connect.
//
//   Environment environment = ...;  // $CHORUS_SERVER, contexts...
//   absl::StatusOr<CommandLine> line = ParseCommandLine(
//       {"sub", "acme.>", "--from", "last:10", "--format=json"}, environment);
//   std::get<SubCommand>(line->command).start;  // StartPosition::Last(10)
//
// Usage errors are kInvalidArgument with a one-line message; print it, then
// UsageForCommandLine(args) (the usage of the command concerned), and exit 2.
// Other errors (a context that does not exist, an unreadable contexts
// file) are failures: exit 1.
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
#include "client/cli/command_tree.h"
#include "client/cli/contexts.h"
#include "client/client.h"

namespace chorus::cli {

// `--help`, `-h` or `chorus help [COMMAND...]`.
struct HelpCommand {
  // The help of the command asked about.
  std::string text;
};

// `--version`.
struct VersionCommand {
  std::string text;
};

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

// chorus cluster status
struct ClusterStatusCommand {};

// chorus context add NAME --server LIST [--token-file FILE]
//                         [--client-name NAME] [--description TEXT] [--use]
struct ContextAddCommand {
  // Its token file is absolute.
  Context context;
  bool use = false;
};
// chorus context use NAME | remove NAME | list | show [NAME]
struct ContextUseCommand {
  std::string name;
};
struct ContextRemoveCommand {
  std::string name;
};
struct ContextListCommand {
  // The context in effect ("" for none), marked in the list.
  std::string selected;
};
struct ContextShowCommand {
  // NAME, else the context in effect; "" when there is none.
  std::string name;
};

// chorus completion bash|zsh
struct CompletionCommand {
  enum class Shell { kBash, kZsh };
  Shell shell = Shell::kBash;
};

using Command =
    std::variant<HelpCommand, VersionCommand, PubCommand, SubCommand,
                 TopicsCreateCommand, TopicsListCommand, TopicsDescribeCommand,
                 TopicsDeleteCommand, SubsListCommand, SubsDescribeCommand,
                 SubsDeleteCommand, StatusCommand, ContextAddCommand,
                 ContextUseCommand, ContextRemoveCommand, ContextListCommand,
                 ContextShowCommand, CompletionCommand, ClusterStatusCommand>;

// Whether the command talks to a broker (the others are local: help,
// version, context, completion).
bool ConnectsToBroker(const Command& command);

// What the process environment holds for the tool.
struct Environment {
  // $CHORUS_SERVER, $CHORUS_CONTEXT and $CHORUS_AUTH_TOKEN ("" when unset).
  std::string server;
  std::string context;
  std::string auth_token;
  // The stored contexts, or why they could not be read.
  absl::StatusOr<ContextFile> contexts = ContextFile{};
};

struct CommandLine {
  // Where to connect, each from the first source that has it: the command
  // line; the context --context names; the environment ($CHORUS_SERVER,
  // $CHORUS_AUTH_TOKEN); the context $CHORUS_CONTEXT names, else the one
  // selected with `chorus context use`; the defaults.
  //
  // The servers to try, comma-separated. Default: kDefaultServer.
  std::string server;
  // The identity the broker stamps on what this command publishes.
  // Default: "chorus-cli".
  std::string client_name = "chorus-cli";
  // The auth token for Hello: the content of `token_file` when that is
  // set, else `auth_token`.
  std::string token_file;
  std::string auth_token;
  Command command;
};

// `args` excludes the program name. Commands that connect take their
// server, client name and token as described above; the others ignore
// `environment`.
absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, const Environment& environment);

// The usage line of the command `args` name, as far as they name one (the
// tool's when they name none), and where to find its help.
std::string UsageForCommandLine(const std::vector<std::string>& args);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_COMMAND_LINE_H_
