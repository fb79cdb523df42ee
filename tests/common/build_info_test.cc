#include "common/build_info.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chorus {
namespace {

TEST(VersionLineTest, NamesProgramVersionCommitAndBuildType) {
  const std::string line = VersionLine("chorusd");
  // CMake passes the test what project(VERSION) and the build type are.
  const std::string start = "chorusd " CHORUS_EXPECTED_VERSION " (";
  const std::string end = CHORUS_EXPECTED_BUILD_TYPE " build)";
  ASSERT_EQ(line.rfind(start, 0), 0u) << line;
  ASSERT_GE(line.size(), start.size() + end.size()) << line;
  EXPECT_EQ(line.substr(line.size() - end.size()), end) << line;
  // Between them: nothing (outside a git checkout) or "commit <12 hex>, ".
  const std::string commit =
      line.substr(start.size(), line.size() - start.size() - end.size());
  EXPECT_THAT(commit, ::testing::MatchesRegex("|commit [0-9a-f]{12}, "))
      << line;
}

}  // namespace
}  // namespace chorus
