#include "client/cli/args.h"

#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"count"}, {"header", true, true}, {"help", false}, {"server"}};

TEST(ParseArgsTest, FlagsMayComeBeforeBetweenAndAfterPositionals) {
  auto args = ParseArgs(
      {"--server", "h:1", "sub", "--count=3", "a.>", "--header", "x=1"},
      kSpecs);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->positionals, (std::vector<std::string>{"sub", "a.>"}));
  EXPECT_EQ(*args->Value("server"), "h:1");
  EXPECT_EQ(*args->Value("count"), "3");
  EXPECT_EQ(args->Values("header"), (std::vector<std::string>{"x=1"}));
}

TEST(ParseArgsTest, EqualsFormKeepsEverythingAfterTheFirstEquals) {
  auto args = ParseArgs({"--header=a=b=c", "--header=", "x"}, kSpecs);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->Values("header"), (std::vector<std::string>{"a=b=c", ""}));
}

TEST(ParseArgsTest, SeparateValueMayLookLikeAFlag) {
  auto args = ParseArgs({"--count", "--help"}, kSpecs);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args->Value("count"), "--help");
  EXPECT_FALSE(args->Has("help"));
}

TEST(ParseArgsTest, RepeatableFlagKeepsValuesInOrder) {
  auto args = ParseArgs({"--header", "a=1", "p", "--header=b=2"}, kSpecs);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->Values("header"), (std::vector<std::string>{"a=1", "b=2"}));
}

TEST(ParseArgsTest, DoubleDashEndsFlags) {
  auto args = ParseArgs({"pub", "--", "--count", "-x"}, kSpecs);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->positionals,
            (std::vector<std::string>{"pub", "--count", "-x"}));
  EXPECT_FALSE(args->Has("count"));
}

TEST(ParseArgsTest, LoneDashIsPositionalAndDashHIsHelp) {
  auto args = ParseArgs({"-", "-h"}, kSpecs);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->positionals, (std::vector<std::string>{"-"}));
  EXPECT_TRUE(args->Has("help"));
}

TEST(ParseArgsTest, AbsentFlagHasNoValue) {
  auto args = ParseArgs({"x"}, kSpecs);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->Value("count"), nullptr);
  EXPECT_TRUE(args->Values("header").empty());
}

void ExpectError(const std::vector<std::string>& argv,
                 const std::string& message_part) {
  auto args = ParseArgs(argv, kSpecs);
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(args.status().message()).find(message_part),
            std::string::npos)
      << args.status();
}

TEST(ParseArgsTest, Errors) {
  ExpectError({"--bogus"}, "unknown flag --bogus");
  ExpectError({"--bogus=1"}, "unknown flag --bogus");
  ExpectError({"-x"}, "unknown flag -x");
  ExpectError({"--count"}, "--count needs a value");
  ExpectError({"--help=yes"}, "--help takes no value");
  ExpectError({"--count", "1", "--count=2"}, "--count given more than once");
}

}  // namespace
}  // namespace chorus::cli
