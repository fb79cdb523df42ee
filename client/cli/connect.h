// Connecting the chorus tool to a broker as its command line says: the
// first of its servers that accepts, as its client name, with its token.
//
//   absl::StatusOr<std::unique_ptr<Client>> client = ConnectForCommand(*line);
//
// The servers are tried in order and the first that completes the
// handshake is used; the client reconnects through the same list.
#ifndef CHORUS_CLIENT_CLI_CONNECT_H_
#define CHORUS_CLIENT_CLI_CONNECT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/command_line.h"
#include "client/client.h"

namespace chorus::cli {

// "a:7400,b:7400" as {"a:7400", "b:7400"}. kInvalidArgument for an empty
// list or an empty entry.
absl::StatusOr<std::vector<std::string>> ParseServerList(std::string_view list);

// Reads the token file if the line names one. Errors: the token file's
// (kNotFound...), or the last server's connect error when none accepted
// (with every server's error in the message when there are several).
absl::StatusOr<std::unique_ptr<Client>> ConnectForCommand(
    const CommandLine& line);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_CONNECT_H_
