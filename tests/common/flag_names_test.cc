#include "common/flag_names.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chorus {
namespace {

std::vector<std::string> Convert(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  RespelledFlags flags(static_cast<int>(argv.size()), argv.data(), '-', '_');
  return std::vector<std::string>(flags.argv(), flags.argv() + flags.argc());
}

TEST(RespelledFlagsTest, RewritesDashesInFlagNamesOnly) {
  EXPECT_EQ(Convert({"prog", "--data-dir", "./my-data", "--max-frame-bytes=8",
                     "--listen=a-b:1", "positional-arg"}),
            (std::vector<std::string>{"prog", "--data_dir", "./my-data",
                                      "--max_frame_bytes=8", "--listen=a-b:1",
                                      "positional-arg"}));
}

TEST(RespelledFlagsTest, StopsAtDoubleDash) {
  EXPECT_EQ(Convert({"prog", "--", "--not-a-flag"}),
            (std::vector<std::string>{"prog", "--", "--not-a-flag"}));
}

TEST(RespellFlagsTest, TurnsUnderscoresIntoDashesForCli11) {
  EXPECT_EQ(RespellFlags({"--data_dir=/var/lib/x_y", "x_y", "-h", "--",
                          "--max_frame_bytes"},
                         '_', '-'),
            (std::vector<std::string>{"--data-dir=/var/lib/x_y", "x_y", "-h",
                                      "--", "--max_frame_bytes"}));
  EXPECT_EQ(RespellFlag("--", '_', '-'), "--");
}

}  // namespace
}  // namespace chorus
