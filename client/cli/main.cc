// The chorus command-line tool; see `chorus --help` and client/README.md.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "client/cli/command_line.h"
#include "client/cli/commands.h"
#include "client/cli/connect.h"
#include "client/cli/contexts.h"
#include "client/cli/signals.h"
#include "client/client.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

// Runs a parsed command that talks to a broker on a connected client.
struct BrokerRunner {
  Client& client;
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
  int operator()(const ClusterStatusCommand& c) const {
    return RunClusterStatus(client, c);
  }
  // Local commands never get here (ConnectsToBroker).
  template <typename LocalCommand>
  int operator()(const LocalCommand&) const {
    return kExitFailure;
  }
};

// Runs a command that needs no broker.
struct LocalRunner {
  const std::string& contexts_path;
  int operator()(const HelpCommand& c) const {
    PrintOut(c.text);
    return kExitOk;
  }
  int operator()(const VersionCommand& c) const {
    PrintOut(c.text + "\n");
    return kExitOk;
  }
  int operator()(const ContextAddCommand& c) const {
    return RunContextAdd(contexts_path, c);
  }
  int operator()(const ContextUseCommand& c) const {
    return RunContextUse(contexts_path, c);
  }
  int operator()(const ContextRemoveCommand& c) const {
    return RunContextRemove(contexts_path, c);
  }
  int operator()(const ContextListCommand& c) const {
    return RunContextList(contexts_path, c);
  }
  int operator()(const ContextShowCommand& c) const {
    return RunContextShow(contexts_path, c);
  }
  int operator()(const CompletionCommand& c) const { return RunCompletion(c); }
  // Broker commands never get here (ConnectsToBroker).
  template <typename BrokerCommand>
  int operator()(const BrokerCommand&) const {
    return kExitFailure;
  }
};

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::string contexts_path =
      ContextsPath(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
  Environment environment;
  environment.server = Getenv("CHORUS_SERVER");
  environment.context = Getenv("CHORUS_CONTEXT");
  environment.auth_token = Getenv("CHORUS_AUTH_TOKEN");
  environment.contexts = LoadContexts(contexts_path);
  absl::StatusOr<CommandLine> line = ParseCommandLine(args, environment);
  if (!line.ok()) {
    PrintError(AsStd(line.status().message()));
    if (!absl::IsInvalidArgument(line.status())) return kExitFailure;
    std::fputs(UsageForCommandLine(args).c_str(), stderr);
    return kExitUsage;
  }
  if (!ConnectsToBroker(line->command)) {
    return std::visit(LocalRunner{contexts_path}, line->command);
  }
  // A closed stdout shows up as EPIPE from the write instead of a kill.
  std::signal(SIGPIPE, SIG_IGN);
  if (std::holds_alternative<SubCommand>(line->command) ||
      std::holds_alternative<StatusCommand>(line->command)) {
    BlockTerminationSignals();  // before the client starts its thread
  }
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectForCommand(*line);
  if (!client.ok()) {
    PrintError(AsStd(client.status().message()));
    return kExitFailure;
  }
  const int exit_code = std::visit(BrokerRunner{**client}, line->command);
  (*client)->Close();
  return exit_code;
}

}  // namespace
}  // namespace chorus::cli

int main(int argc, char** argv) { return chorus::cli::Main(argc, argv); }
