// A small command-line flag parser with no global state.
//
// Flags are "--name value" or "--name=value" and may appear before, between
// or after positional arguments; "--" ends the flags.
//
//   const std::vector<FlagSpec> specs = {{"count"}, {"header", true, true},
//                                        {"help", false}};
//   absl::StatusOr<ParsedArgs> args = ParseArgs({"sub", "a.>", "--count=3"},
//                                               specs);
//   args->positionals;         // {"sub", "a.>"}
//   *args->Value("count");     // "3"
#ifndef CHORUS_CLIENT_CLI_ARGS_H_
#define CHORUS_CLIENT_CLI_ARGS_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace chorus::cli {

// A flag the command line may carry, named without its leading "--".
struct FlagSpec {
  std::string name;
  bool takes_value = true;
  // May be given more than once (each value is kept, in order).
  bool repeatable = false;
};

struct ParsedArgs {
  std::vector<std::string> positionals;
  // The values of each given flag, in order; a flag without a value has one
  // empty value per use.
  std::map<std::string, std::vector<std::string>, std::less<>> flags;

  bool Has(std::string_view name) const;
  // The value of a flag, or nullptr when it was not given.
  const std::string* Value(std::string_view name) const;
  // Every value of a repeatable flag (empty when not given).
  std::vector<std::string> Values(std::string_view name) const;
};

// Parses `args` (without the program name). "-h" means "--help"; a lone "-"
// is a positional. Errors (kInvalidArgument, naming the flag): unknown flag,
// missing value, value given to a flag that takes none, a flag that is not
// repeatable given twice.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_ARGS_H_
