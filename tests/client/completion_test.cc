// The generated completion script, run by a real bash: what it offers for
// a command line ending at the cursor.
#include "client/cli/completion.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "client/cli/command_tree.h"
#include "client/cli/contexts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

class CompletionTest : public ::testing::Test {
 protected:
  CompletionTest() {
    char folder[] = "/tmp/chorus_completion_test.XXXXXX";
    folder_ = mkdtemp(folder);
    script_ = folder_ + "/chorus.bash";
    std::ofstream(script_) << BashCompletion(*MakeCommandTree());
  }
  ~CompletionTest() override { std::filesystem::remove_all(folder_); }

  // What bash offers for `words` (the last one is being completed), one
  // word per line. The first word is the chorus binary, which the script
  // runs to list contexts.
  std::string Complete(std::vector<std::string> words) {
    words.insert(words.begin(), CHORUS_CLI_PATH);
    std::string array;
    for (const std::string& word : words) array += " '" + word + "'";
    const std::string program =
        "source '" + script_ + "'; COMP_WORDS=(" + array +
        "); COMP_CWORD=" + std::to_string(words.size() - 1) +
        "; __chorus_complete; printf '%s\\n' \"${COMPREPLY[@]}\"";
    const std::string command = "XDG_CONFIG_HOME='" + folder_ +
                                "' bash --norc --noprofile -c \"$PROGRAM\"";
    setenv("PROGRAM", program.c_str(), 1);
    FILE* pipe = popen(command.c_str(), "r");
    std::string out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
      out.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0);
    return out;
  }

  std::string folder_;
  std::string script_;
};

TEST_F(CompletionTest, CommandsAndSubcommands) {
  EXPECT_EQ(Complete({""}),
            "pub\nsub\nsubs\nstatus\ntopics\ncluster\ncontext\ncompletion\n"
            "help\n");
  EXPECT_EQ(Complete({"su"}), "sub\nsubs\n");
  EXPECT_EQ(Complete({"cluster", ""}), "status\n");
  EXPECT_EQ(Complete({"topics", ""}), "create\nlist\ndescribe\ndelete\n");
  // Flag values are not commands: --server's value is skipped.
  EXPECT_EQ(Complete({"--server", "topics", "topics", "cr"}), "create\n");
}

TEST_F(CompletionTest, FlagsOfTheCommandAndOfTheTool) {
  EXPECT_EQ(Complete({"sub", "a.>", "--fr"}), "--from\n--from-publisher\n");
  EXPECT_EQ(Complete({"topics", "create", "t", "--ret"}),
            "--retention-age\n--retention-bytes\n--retention-messages\n");
  EXPECT_EQ(Complete({"pub", "t", "--se"}), "--server\n");
  EXPECT_EQ(Complete({"status", "--w"}), "--watch\n");
}

TEST_F(CompletionTest, ValuesByType) {
  EXPECT_EQ(Complete({"sub", "a", "--format", ""}), "text\njson\n");
  // bash splits "--format=" into "--format" "=".
  EXPECT_EQ(Complete({"sub", "a", "--format", "=", ""}), "text\njson\n");
  EXPECT_EQ(Complete({"sub", "a", "--format", "="}), "text\njson\n");
  EXPECT_EQ(Complete({"sub", "a", "--ack", "e"}), "explicit\n");
  EXPECT_EQ(Complete({"completion", ""}), "bash\nzsh\n");
  std::ofstream(folder_ + "/token-file") << "t";
  EXPECT_EQ(Complete({"--token-file", folder_ + "/token-f"}),
            folder_ + "/token-file\n");
}

TEST_F(CompletionTest, ContextNamesComeFromTheContextsFile) {
  ContextFile file;
  file.Put({.name = "prod", .servers = {"b:1"}});
  file.Put({.name = "dev", .servers = {"d:1"}});
  ASSERT_TRUE(SaveContexts(folder_ + "/chorus/contexts.json", file).ok());
  EXPECT_EQ(Complete({"context", "use", ""}), "dev\nprod\n");
  EXPECT_EQ(Complete({"--context", "p"}), "prod\n");
}

TEST(ZshCompletionTest, IsTheBashScriptThroughBashcompinit) {
  const std::unique_ptr<CLI::App> tree = MakeCommandTree();
  const std::string zsh = ZshCompletion(*tree);
  EXPECT_THAT(zsh, ::testing::HasSubstr(
                       "autoload -U +X bashcompinit && bashcompinit\n"));
  EXPECT_THAT(zsh, ::testing::EndsWith(BashCompletion(*tree)));
}

}  // namespace
}  // namespace chorus::cli
