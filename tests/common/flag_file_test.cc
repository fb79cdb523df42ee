#include "common/cli/flag_file.h"

#include <sstream>

#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

std::vector<std::pair<std::string, std::string>> Read(const std::string& text) {
  std::istringstream input(text);
  std::vector<std::pair<std::string, std::string>> flags;
  for (const CLI::ConfigItem& item : FlagFileFormat().from_config(input)) {
    EXPECT_EQ(item.inputs.size(), 1u);
    flags.emplace_back(item.name, item.inputs.at(0));
  }
  return flags;
}

TEST(FlagFileFormatTest, ReadsOneFlagALineWithEitherSpelling) {
  EXPECT_EQ(Read("# a comment\n"
                 "--listen=127.0.0.1:7400\n"
                 "\n"
                 "  --data_dir=/var/lib/chorus_data  \n"
                 "--max-frame-bytes=8388608\n"
                 "--verbose\n"
                 "--node-id=a=b\n"),
            (std::vector<std::pair<std::string, std::string>>{
                {"listen", "127.0.0.1:7400"},
                {"data-dir", "/var/lib/chorus_data"},
                {"max-frame-bytes", "8388608"},
                {"verbose", "true"},
                {"node-id", "a=b"}}));
}

TEST(FlagFileFormatTest, LastLineForAFlagWins) {
  EXPECT_EQ(Read("--fsync=always\n--listen=a:1\n--fsync=never\n"),
            (std::vector<std::pair<std::string, std::string>>{
                {"listen", "a:1"}, {"fsync", "never"}}));
}

TEST(FlagFileFormatTest, LineThatIsNotAFlagIsAnError) {
  std::istringstream input("--listen=a:1\nlisten=b:2\n");
  try {
    FlagFileFormat().from_config(input);
    ADD_FAILURE() << "no error";
  } catch (const CLI::ConfigError& error) {
    EXPECT_STREQ(error.what(),
                 "flag file line 2: expected --name=value, got \"listen=b:2\"");
  }
}

}  // namespace
}  // namespace chorus::cli
