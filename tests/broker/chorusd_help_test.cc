// The chorusd binary's --help, --version and usage errors, and the flags
// table of the README checked against --help, so that neither drifts.
// CHORUSD_PATH and CHORUS_SOURCE_DIR come from CMake.
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

// Flag (its first name and value, as in "--listen HOST:PORT") to its
// default ("" for none), from the "Flags:" section of `chorusd --help`.
std::map<std::string, std::string> HelpFlags(const std::string& help) {
  std::map<std::string, std::string> flags;
  std::string left;
  std::string text;
  const auto finish = [&] {
    if (left.empty()) return;
    std::smatch match;
    std::string fallback;
    static const std::regex kDefault(R"(\(default: (.*)\)$)");
    flags[left] =
        std::regex_search(text, match, kDefault) ? match[1].str() : fallback;
    left.clear();
    text.clear();
  };
  bool in_flags = false;
  const std::vector<std::string> lines = absl::StrSplit(help, '\n');
  for (const std::string& line : lines) {
    if (line == "Flags:") {
      in_flags = true;
      continue;
    }
    if (!in_flags) continue;
    if (line.empty()) break;
    if (line.rfind("  -", 0) == 0) {  // a new flag
      finish();
      const size_t gap = line.find("  ", 2);
      std::string names =
          line.substr(2, gap == std::string::npos ? gap : gap - 2);
      // "--a, --no-a": the first name stands for the flag.
      names = names.substr(0, names.find(", -"));
      left = names;
      if (gap != std::string::npos) text = line.substr(gap);
    } else {
      text += " " + std::string(absl::StripLeadingAsciiWhitespace(line));
    }
    // Wrapped text joins with single spaces.
    text = std::regex_replace(text, std::regex(" +"), " ");
  }
  finish();
  flags.erase("-h, --help");
  flags.erase("-h");
  flags.erase("--version");
  return flags;
}

// The same from the "## chorusd flags" table of README.md: the first code
// span of the flag and default columns (markdown escapes '|' in them).
std::map<std::string, std::string> ReadmeFlags(const std::string& readme) {
  std::map<std::string, std::string> flags;
  bool in_section = false;
  static const std::regex kCode("`([^`]*)`");
  const std::vector<std::string> lines = absl::StrSplit(readme, '\n');
  for (const std::string& line : lines) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## chorusd flags";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    std::string row = std::regex_replace(line, std::regex(R"(\\\|)"), "\x01");
    std::vector<std::string> cells = absl::StrSplit(row, '|');
    if (cells.size() < 4) continue;
    std::smatch flag;
    std::smatch default_value;
    if (!std::regex_search(cells[1], flag, kCode)) continue;
    const auto unescape = [](std::string s) {
      std::replace(s.begin(), s.end(), '\x01', '|');
      return s;
    };
    flags[unescape(flag[1].str())] =
        std::regex_search(cells[2], default_value, kCode)
            ? unescape(default_value[1].str())
            : "";
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
