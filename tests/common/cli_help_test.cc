#include "common/cli/help.h"
#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

class HelpTest : public ::testing::Test {
 protected:
  HelpTest() : tool_("A test tool\n\nIt does things.", "tool") {
    UseHelpStyle(tool_);
    tool_.add_option("--server")
        ->description("where to connect")
        ->type_name("HOST:PORT")
        ->default_str("127.0.0.1:7400");
    tool_.add_option("--name")->description("who we are")->type_name("NAME");
    tool_.set_version_flag("--version", "tool 1", "print the version");
    SetExamples(tool_, {"tool sub a"});
    sub_ = AddCommand(tool_, "sub", "Follow a topic\n\nPrints its messages.",
                      {"tool sub acme.x --format json", "tool sub acme.y"});
    sub_->add_option("FILTER")->description("what to follow")->required();
    sub_->add_option("--format")
        ->description("how to print each message")
        ->type_name("text|json")
        ->default_str("text");
    sub_->add_option("--from")
        ->description("where to start")
        ->type_name("latest|offset:N");
    sub_->add_option("--name")->description("a local name")->type_name("N");
    group_ = AddCommand(tool_, "topics", "Manage topics", {"tool topics list"});
    AddCommand(*group_, "list", "List the topics", {"tool topics list"});
  }

  CLI::App tool_;
  CLI::App* sub_;
  CLI::App* group_;
};

TEST_F(HelpTest, CommandHelpHasUsageArgumentsFlagsGlobalFlagsAndExamples) {
  EXPECT_EQ(HelpText(*sub_),
            "usage: tool sub FILTER [flags]\n"
            "\n"
            "Follow a topic\n"
            "\n"
            "Prints its messages.\n"
            "\n"
            "Arguments:\n"
            "  FILTER  what to follow\n"
            "\n"
            "Flags:\n"
            "  --format text|json      how to print each message (default: "
            "text)\n"
            "  --from latest|offset:N  where to start\n"
            "  --name N                a local name\n"
            "  -h, --help              print this help\n"
            "\n"
            "Global flags:\n"
            "  --server HOST:PORT  where to connect (default: 127.0.0.1:7400)\n"
            "\n"
            "Examples:\n"
            "  tool sub acme.x --format json\n"
            "  tool sub acme.y\n");
}

TEST_F(HelpTest, ToolHelpListsEveryCommandByPath) {
  const std::string help = HelpText(tool_);
  EXPECT_EQ(help.rfind("usage: tool COMMAND [flags]\n\nA test tool\n\nIt does "
                       "things.\n\nCommands:\n  sub          Follow a topic\n"
                       "  topics list  List the topics\n",
                       0),
            0u)
      << help;
  EXPECT_NE(help.find("  --version           print the version\n"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("Run `tool COMMAND --help` for a command's flags and "
                      "examples.\n"),
            std::string::npos)
      << help;
}

TEST_F(HelpTest, LongTextWrapsAtEightyColumns) {
  sub_->add_option("--long")->description(std::string(30, 'a') + " " +
                                          std::string(30, 'b') + " " +
                                          std::string(30, 'c'));
  const std::string help = HelpText(*sub_);
  // The flag column is as wide as its widest entry (--from ...) and two.
  EXPECT_NE(
      help.find("  --long                  " + std::string(30, 'a') +
                "\n                          " + std::string(30, 'b') +
                "\n                          " + std::string(30, 'c') + "\n"),
      std::string::npos)
      << help;
}

TEST_F(HelpTest, UsageAndChoices) {
  EXPECT_EQ(CommandUsage(*sub_), "sub FILTER");
  EXPECT_EQ(CommandUsage(*group_), "topics COMMAND");
  EXPECT_EQ(CommandPath(*Subcommands(*group_).at(0)), "topics list");
  EXPECT_EQ(Summary(*sub_), "Follow a topic");
  EXPECT_EQ(Choices(*sub_->get_option("--format")),
            (std::vector<std::string>{"text", "json"}));
  EXPECT_EQ(Choices(*sub_->get_option("--from")),
            (std::vector<std::string>{"latest", "offset:"}));
  EXPECT_TRUE(Choices(*tool_.get_option("--server")).empty());
}

}  // namespace
}  // namespace chorus::cli
