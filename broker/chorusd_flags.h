// chorusd's command line: its flags with their defaults and meanings, and
// the BrokerOptions they give.
//
//   absl::StatusOr<ChorusdCommandLine> line =
//       ParseChorusdCommandLine({"--listen", "0.0.0.0:7400", "--fsync=never"});
//   if (line->action == ChorusdCommandLine::Action::kServe) {
//     Broker::Start(line->options);
//   }
//
// Flags are spelled with dashes or underscores (--data-dir, --data_dir),
// as "--flag value" or "--flag=value"; `--flagfile FILE` reads more from a
// file (common/cli/flag_file.h), where the command line wins.
#ifndef CHORUS_BROKER_CHORUSD_FLAGS_H_
#define CHORUS_BROKER_CHORUSD_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/broker_options.h"

namespace chorus::broker {

struct ChorusdCommandLine {
  enum class Action { kServe, kPrintHelp, kPrintVersion };
  Action action = Action::kServe;
  // kPrintHelp: `chorusd --help`; kPrintVersion: the version line.
  std::string text;
  // kServe: what to serve with.
  BrokerOptions options;
  // --verbose: log debug lines.
  bool verbose = false;
};

// `args` excludes the program name. kInvalidArgument with a one-line
// message for a bad command line: an unknown flag, a bad value, a flag file
// that cannot be read.
absl::StatusOr<ChorusdCommandLine> ParseChorusdCommandLine(
    const std::vector<std::string>& args);

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_CHORUSD_FLAGS_H_
