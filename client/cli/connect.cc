#include "client/cli/connect.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/files.h"
#include "common/string_views.h"

namespace chorus::cli {

absl::StatusOr<std::vector<std::string>> ParseServerList(
    std::string_view list) {
  std::vector<std::string> servers = absl::StrSplit(AsAbsl(list), ',');
  for (const std::string& server : servers) {
    if (server.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected HOST:PORT[,HOST:PORT...], got \"", AsAbsl(list), "\""));
    }
  }
  return servers;
}

absl::StatusOr<std::unique_ptr<Client>> ConnectForCommand(
    const CommandLine& line) {
  ClientOptions options;
  options.client_name = line.client_name;
  options.auth_token = line.auth_token;
  if (!line.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadFile(line.token_file);
    if (!token.ok()) {
      return absl::Status(
          token.status().code(),
          absl::StrCat("token file ", token.status().message()));
    }
    options.auth_token = std::string(absl::StripAsciiWhitespace(*token));
  }
  // The list was checked with the flags; the library tries the servers in
  // order and keeps them to reconnect through.
  return Client::Connect(line.server, options);
}

}  // namespace chorus::cli
