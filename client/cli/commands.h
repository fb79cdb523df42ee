// The chorus tool's commands: those that talk to a broker, run against a
// connected client, and the local ones (contexts, completion).
//
//   std::unique_ptr<Client> client = ...;
//   return RunSub(*client, std::get<SubCommand>(line.command));
//
// Each prints its results to stdout, its progress and errors to stderr
// ("chorus: error: <what went wrong>", one line), and returns the process
// exit code: 0 on success, 1 on failure.
#ifndef CHORUS_CLIENT_CLI_COMMANDS_H_
#define CHORUS_CLIENT_CLI_COMMANDS_H_

#include <string>
#include <string_view>

#include "client/cli/command_line.h"
#include "client/client.h"

namespace chorus::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "chorus: error: <message>" to stderr.
void PrintError(std::string_view message);
// Writes `text` to stdout as it is.
void PrintOut(std::string_view text);

int RunPub(Client& client, const PubCommand& command);
// Needs SIGINT and SIGTERM blocked before the client was created (see
// signals.h) so that they end it cleanly.
int RunSub(Client& client, const SubCommand& command);
int RunTopicsCreate(Client& client, const TopicsCreateCommand& command);
int RunTopicsList(Client& client, const TopicsListCommand& command);
int RunTopicsDescribe(Client& client, const TopicsDescribeCommand& command);
int RunTopicsDelete(Client& client, const TopicsDeleteCommand& command);
int RunSubsList(Client& client, const SubsListCommand& command);
int RunSubsDescribe(Client& client, const SubsDescribeCommand& command);
int RunSubsDelete(Client& client, const SubsDeleteCommand& command);
// Needs SIGINT and SIGTERM blocked as for RunSub.
int RunStatus(Client& client, const StatusCommand& command);
int RunClusterStatus(Client& client, const ClusterStatusCommand& command);

// The context commands work on the contexts file at `path` (contexts.h).
int RunContextAdd(const std::string& path, const ContextAddCommand& command);
int RunContextUse(const std::string& path, const ContextUseCommand& command);
int RunContextRemove(const std::string& path,
                     const ContextRemoveCommand& command);
int RunContextList(const std::string& path, const ContextListCommand& command);
int RunContextShow(const std::string& path, const ContextShowCommand& command);

// Prints the completion script for the shell.
int RunCompletion(const CompletionCommand& command);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_COMMANDS_H_
