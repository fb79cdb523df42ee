// ParseCommandTree over a small tree: the flag grammar every tool shares
// (these cases were the tests of the chorus tool's own flag parser, which
// CLI11 replaced), and how usage errors are worded.
#include <memory>

#include "common/cli/help.h"
#include "common/cli/parse.h"
#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

// --count N, --header V (repeatable), --server S, -h/--help, and any
// number of positionals.
class ParseTest : public ::testing::Test {
 protected:
  ParseTest() : app_("A test tool", "tool") {
    UseHelpStyle(app_);
    app_.option_defaults()->disable_flag_override();
    app_.add_option("--count")->type_name("N");
    app_.add_option("--header")
        ->type_name("V")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app_.add_option("--server")->type_name("S");
    app_.add_option("ARGS")->expected(0, 100)->allow_extra_args();
  }

  ParseOutcome Parse(const std::vector<std::string>& args) {
    return ParseCommandTree(app_, args);
  }
  std::vector<std::string> Values(const std::string& name) {
    return app_.get_option(name)->results();
  }
  bool Has(const std::string& name) {
    return app_.get_option(name)->count() > 0;
  }

  CLI::App app_;
};

TEST_F(ParseTest, FlagsMayComeBeforeBetweenAndAfterPositionals) {
  ParseOutcome outcome =
      Parse({"--server", "h:1", "sub", "--count=3", "a.>", "--header", "x=1"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_EQ(Values("ARGS"), (std::vector<std::string>{"sub", "a.>"}));
  EXPECT_EQ(Values("--server"), (std::vector<std::string>{"h:1"}));
  EXPECT_EQ(Values("--count"), (std::vector<std::string>{"3"}));
  EXPECT_EQ(Values("--header"), (std::vector<std::string>{"x=1"}));
}

TEST_F(ParseTest, EqualsFormKeepsEverythingAfterTheFirstEquals) {
  ParseOutcome outcome = Parse({"--header=a=b=c", "--header=", "x"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_EQ(Values("--header"), (std::vector<std::string>{"a=b=c", ""}));
  EXPECT_EQ(Values("ARGS"), (std::vector<std::string>{"x"}));
}

TEST_F(ParseTest, SeparateValueMayLookLikeAFlag) {
  ParseOutcome outcome = Parse({"--count", "--help"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_EQ(Values("--count"), (std::vector<std::string>{"--help"}));
  EXPECT_FALSE(Has("--help"));
}

TEST_F(ParseTest, RepeatableFlagKeepsValuesInOrder) {
  ParseOutcome outcome = Parse({"--header", "a=1", "p", "--header=b=2"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_EQ(Values("--header"), (std::vector<std::string>{"a=1", "b=2"}));
}

TEST_F(ParseTest, DoubleDashEndsFlags) {
  ParseOutcome outcome = Parse({"pub", "--", "--count", "-x"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_EQ(Values("ARGS"), (std::vector<std::string>{"pub", "--count", "-x"}));
  EXPECT_FALSE(Has("--count"));
}

TEST_F(ParseTest, LoneDashIsPositionalAndDashHIsHelp) {
  ParseOutcome outcome = Parse({"-", "-h"});
  EXPECT_EQ(outcome.kind, ParseOutcome::Kind::kHelp);
  EXPECT_EQ(outcome.text, HelpText(app_));
  EXPECT_EQ(Values("ARGS"), (std::vector<std::string>{"-"}));
}

TEST_F(ParseTest, AbsentFlagHasNoValue) {
  ParseOutcome outcome = Parse({"x"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_FALSE(Has("--count"));
  EXPECT_TRUE(Values("--header").empty());
}

TEST_F(ParseTest, Errors) {
  const auto expect_error = [this](const std::vector<std::string>& args,
                                   const std::string& message) {
    ParseOutcome outcome = Parse(args);
    EXPECT_EQ(outcome.kind, ParseOutcome::Kind::kUsageError);
    EXPECT_EQ(outcome.text, message) << args.at(0);
    EXPECT_EQ(outcome.command, &app_);
  };
  expect_error({"--bogus"}, "unknown flag --bogus");
  expect_error({"--bogus=1"}, "unknown flag --bogus");
  expect_error({"-x"}, "unknown flag -x");
  expect_error({"--count"}, "flag --count needs a value");
  expect_error({"--help=yes"}, "flag --help takes no value");
  expect_error({"--count", "1", "--count=2"},
               "flag --count given more than once");
}

// Subcommands: errors name the command they concern.
class SubcommandParseTest : public ::testing::Test {
 protected:
  SubcommandParseTest() : app_("A test tool", "tool") {
    UseHelpStyle(app_);
    app_.fallthrough();
    app_.add_option("--server");
    CLI::App* topics =
        AddCommand(app_, "topics", "Topics", {"tool topics list"});
    AddCommand(*topics, "list", "List them", {"tool topics list"});
    CLI::App* create = AddCommand(*topics, "create", "Create one", {"x"});
    create->add_option("NAME")->required();
    create->add_option("--partitions");
    CLI::App* use = AddCommand(app_, "use", "Use one", {"tool use a"});
    use->add_option("--key")->required();
  }

  CLI::App app_;
};

TEST_F(SubcommandParseTest, ErrorsNameTheCommand) {
  const auto expect_error = [this](const std::vector<std::string>& args,
                                   const std::string& message,
                                   const std::string& command) {
    ParseOutcome outcome = ParseCommandTree(app_, args);
    EXPECT_EQ(outcome.kind, ParseOutcome::Kind::kUsageError);
    EXPECT_EQ(outcome.text, message);
    EXPECT_EQ(CommandPath(*outcome.command), command) << message;
  };
  expect_error({}, "no command given (expected topics or use)", "");
  expect_error({"nope"}, "unknown command \"nope\" (expected topics or use)",
               "");
  expect_error({"topics"}, "expected topics list|create", "topics");
  expect_error({"topics", "rename"},
               "unknown topics command \"rename\" (expected list or create)",
               "topics");
  expect_error({"topics", "create"}, "expected topics create NAME",
               "topics create");
  expect_error({"topics", "create", "a", "b"}, "expected topics create NAME",
               "topics create");
  expect_error({"topics", "list", "a"},
               "topics list takes no arguments, got \"a\"", "topics list");
  expect_error({"topics", "list", "--partitions", "2"},
               "flag --partitions does not apply to topics list",
               "topics list");
  expect_error({"use"}, "expected use --key", "use");
}

TEST_F(SubcommandParseTest, ParentFlagsMayFollowTheCommandAndHelpIsPerCommand) {
  ParseOutcome outcome =
      ParseCommandTree(app_, {"topics", "create", "t", "--server", "s"});
  ASSERT_EQ(outcome.kind, ParseOutcome::Kind::kRun) << outcome.text;
  EXPECT_EQ(app_.get_option("--server")->results(),
            (std::vector<std::string>{"s"}));
  outcome = ParseCommandTree(app_, {"topics", "create", "--help"});
  EXPECT_EQ(outcome.kind, ParseOutcome::Kind::kHelp);
  EXPECT_EQ(outcome.text.rfind("usage: tool topics create NAME [flags]\n", 0),
            0u)
      << outcome.text;
}

}  // namespace
}  // namespace chorus::cli
