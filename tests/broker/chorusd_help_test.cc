// The chorusd binary's --help, --version and usage errors, and the flags
// table of the README checked against --help, so that neither drifts.
// CHORUSD_PATH and CHORUS_SOURCE_DIR come from CMake.
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chorus {
namespace {

struct ChorusdRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

ChorusdRun RunChorusd(const std::string& args) {
  ChorusdRun run;
  const std::string command =
      std::string(CHORUSD_PATH) + " " + args + " 2>&1 </dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The text of the first `code span` in `text`, or "".
std::string FirstCodeSpan(const std::string& text) {
  const size_t open = text.find('`');
  const size_t close =
      open == std::string::npos ? open : text.find('`', open + 1);
  return close == std::string::npos ? ""
                                    : text.substr(open + 1, close - open - 1);
}

// Flag (its first name and value, as in "--listen HOST:PORT") to its
// default ("" for none), from the "Flags:" section of `chorusd --help`.
std::map<std::string, std::string> HelpFlags(const std::string& help) {
  std::map<std::string, std::string> flags;
  std::string flag;
  std::vector<std::string> words;  // of its text, wrapped lines joined
  const auto finish = [&] {
    if (flag.empty()) return;
    const std::string text = absl::StrJoin(words, " ");
    constexpr std::string_view kDefault = "(default: ";
    const size_t at = text.rfind(kDefault);
    flags[flag] = at != std::string::npos && absl::EndsWith(text, ")")
                      ? text.substr(at + kDefault.size(),
                                    text.size() - at - kDefault.size() - 1)
                      : "";
    flag.clear();
    words.clear();
  };
  const std::vector<std::string> lines = absl::StrSplit(help, '\n');
  bool in_flags = false;
  for (const std::string& line : lines) {
    if (line == "Flags:") {
      in_flags = true;
      continue;
    }
    if (!in_flags) continue;
    if (line.empty()) break;
    std::string text = line;
    if (line.rfind("  -", 0) == 0) {  // a new flag
      finish();
      const size_t gap = line.find("  ", 2);
      const std::string names =
          line.substr(2, gap == std::string::npos ? gap : gap - 2);
      // "--a, --no-a": the first name stands for the flag.
      flag = names.substr(0, names.find(", -"));
      text = gap == std::string::npos ? "" : line.substr(gap);
    }
    for (absl::string_view word :
         absl::StrSplit(text, ' ', absl::SkipEmpty())) {
      words.emplace_back(word);
    }
  }
  finish();
  flags.erase("-h");
  flags.erase("--version");
  return flags;
}

// The same from the "## chorusd flags" table of README.md: the first code
// span of the flag and default columns (markdown escapes '|' in them).
std::map<std::string, std::string> ReadmeFlags(const std::string& readme) {
  std::map<std::string, std::string> flags;
  bool in_section = false;
  const std::vector<std::string> lines = absl::StrSplit(readme, '\n');
  for (const std::string& line : lines) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## chorusd flags";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const std::string row = absl::StrReplaceAll(line, {{"\\|", "\x01"}});
    const std::vector<std::string> cells = absl::StrSplit(row, '|');
    if (cells.size() < 4) continue;
    const auto unescape = [](const std::string& s) {
      return absl::StrReplaceAll(s, {{"\x01", "|"}});
    };
    flags[unescape(FirstCodeSpan(cells[1]))] =
        unescape(FirstCodeSpan(cells[2]));
  }
  return flags;
}

TEST(ChorusdHelpTest, HelpListsChorusdsOwnFlags) {
  const ChorusdRun help = RunChorusd("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, ::testing::StartsWith("usage: chorusd [flags]\n"));
  const std::map<std::string, std::string> flags = HelpFlags(help.out);
  EXPECT_EQ(flags.at("--listen HOST:PORT"), "127.0.0.1:7400");
  EXPECT_EQ(flags.at("--fsync always|interval|never"), "interval");
  EXPECT_EQ(flags.at("--auto-create-topics"), "true");
  EXPECT_EQ(flags.at("--verbose"), "");
  EXPECT_EQ(flags.count("--flagfile FILE"), 1u);
}

TEST(ChorusdHelpTest, ReadmeTableMatchesHelp) {
  std::ifstream in(CHORUS_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  const std::map<std::string, std::string> help =
      HelpFlags(RunChorusd("--help").out);
  ASSERT_GE(help.size(), 15u);
  // Every flag with the same value name and default, and no flag more.
  EXPECT_EQ(ReadmeFlags(readme.str()), help);
}

TEST(ChorusdHelpTest, VersionNamesTheProgramAndUsageErrorsExit2) {
  const ChorusdRun version = RunChorusd("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out,
              ::testing::MatchesRegex("chorusd [0-9]+\\.[0-9]+\\.[0-9]+ "
                                      "\\((commit [0-9a-f]{12}, )?[A-Za-z]+ "
                                      "build\\)\n"));
  const ChorusdRun bad = RunChorusd("--listen");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out,
            "chorusd: error: flag --listen needs a value\n"
            "Run `chorusd --help` for its flags.\n");
}

}  // namespace
}  // namespace chorus
