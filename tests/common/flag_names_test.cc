#include "common/flag_names.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chorus {
namespace {

std::vector<std::string> Convert(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  DashedFlags flags(static_cast<int>(argv.size()), argv.data());
  return std::vector<std::string>(flags.argv(), flags.argv() + flags.argc());
}

TEST(DashedFlagsTest, RewritesDashesInFlagNamesOnly) {
  EXPECT_EQ(Convert({"prog", "--data-dir", "./my-data", "--max-frame-bytes=8",
                     "--listen=a-b:1", "positional-arg"}),
            (std::vector<std::string>{"prog", "--data_dir", "./my-data",
                                      "--max_frame_bytes=8", "--listen=a-b:1",
                                      "positional-arg"}));
}

TEST(DashedFlagsTest, StopsAtDoubleDash) {
  EXPECT_EQ(Convert({"prog", "--", "--not-a-flag"}),
            (std::vector<std::string>{"prog", "--", "--not-a-flag"}));
}

}  // namespace
}  // namespace chorus
