// The chorus command-line tool; see `chorus --help` and client/README.md.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "client/cli/command_line.h"
#include "client/cli/commands.h"
#include "client/cli/signals.h"
#include "client/client.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

// Runs the parsed command on a connected client.
struct Runner {
  Client& client;
  int operator()(const HelpCommand&) const { return kExitOk; }
  int operator()(const PubCommand& c) const { return RunPub(client, c); }
  int operator()(const SubCommand& c) const { return RunSub(client, c); }
  int operator()(const TopicsCreateCommand& c) const {
    return RunTopicsCreate(client, c);
  }
  int operator()(const TopicsListCommand& c) const {
    return RunTopicsList(client, c);
  }
  int operator()(const TopicsDescribeCommand& c) const {
    return RunTopicsDescribe(client, c);
  }
  int operator()(const TopicsDeleteCommand& c) const {
    return RunTopicsDelete(client, c);
  }
  int operator()(const SubsListCommand& c) const {
    return RunSubsList(client, c);
  }
  int operator()(const SubsDescribeCommand& c) const {
    return RunSubsDescribe(client, c);
  }
  int operator()(const SubsDeleteCommand& c) const {
    return RunSubsDelete(client, c);
  }
  int operator()(const StatusCommand& c) const { return RunStatus(client, c); }
};

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_server = std::getenv("CHORUS_SERVER");
  absl::StatusOr<CommandLine> line =
      ParseCommandLine(args, env_server != nullptr ? env_server : "");
  if (!line.ok()) {
    PrintError(AsStd(line.status().message()));
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (std::holds_alternative<HelpCommand>(line->command)) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  // A closed stdout shows up as EPIPE from the write instead of a kill.
  std::signal(SIGPIPE, SIG_IGN);
  if (std::holds_alternative<SubCommand>(line->command) ||
      std::holds_alternative<StatusCommand>(line->command)) {
    BlockTerminationSignals();  // before the client starts its thread
  }
  ClientOptions options;
  options.client_name = line->client_name;
  if (const char* token = std::getenv("CHORUS_AUTH_TOKEN")) {
    options.auth_token = token;
  }
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(line->server, options);
  if (!client.ok()) {
    PrintError(AsStd(client.status().message()));
    return kExitFailure;
  }
  const int exit_code = std::visit(Runner{**client}, line->command);
  (*client)->Close();
  return exit_code;
}

}  // namespace
}  // namespace chorus::cli

int main(int argc, char** argv) { return chorus::cli::Main(argc, argv); }
