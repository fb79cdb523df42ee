// Flag names in the spelling a flag library expects. Abseil flags are
// defined with underscores (`data_dir`), CLI11 ones with dashes
// (`data-dir`); users type either, so programs respell what they get.
//
//   RespelledFlags flags(argc, argv, '-', '_');  // for Abseil flags
//   absl::ParseCommandLine(flags.argc(), flags.argv());
//
//   args = RespellFlags(std::move(args), '_', '-');  // for CLI11
#ifndef CHORUS_COMMON_FLAG_NAMES_H_
#define CHORUS_COMMON_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace chorus {

// `arg` with each `from` in its flag name turned into `to`, when it is a
// flag ("--flag-name" or "--flag-name=value"; the value is kept as it is);
// anything else unchanged.
std::string RespellFlag(std::string arg, char from, char to);

// RespellFlag on each argument up to "--", which ends the flags.
std::vector<std::string> RespellFlags(std::vector<std::string> args, char from,
                                      char to);

// A respelled copy of argv (RespellFlags) for parsers that take argc/argv.
class RespelledFlags {
 public:
  RespelledFlags(int argc, char** argv, char from, char to);

  RespelledFlags(const RespelledFlags&) = delete;
  RespelledFlags& operator=(const RespelledFlags&) = delete;

  int argc() { return static_cast<int>(pointers_.size()); }
  char** argv() { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

}  // namespace chorus

#endif  // CHORUS_COMMON_FLAG_NAMES_H_
