// The chorus tool's contexts and server lists against a real chorusd: a
// context saved once points later commands at the broker.
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

class CliContextTest : public BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    char folder[] = "/tmp/chorus_cli_context_test.XXXXXX";
    config_home_ = mkdtemp(folder);
  }
  void TearDown() override { std::filesystem::remove_all(config_home_); }

  // Runs `chorus ARGS...` with its own config folder, $CHORUS_CONTEXT as
  // given, and none of the other settings the test's environment may hold.
  CommandResult Chorus(std::vector<std::string> args,
                       const std::string& chorus_context = "") {
    args.insert(args.begin(), ChorusCliPath());
    Subprocess::Options options;
    options.env = {"XDG_CONFIG_HOME=" + config_home_,
                   "CHORUS_SERVER=", "CHORUS_CONTEXT=" + chorus_context,
                   "CHORUS_AUTH_TOKEN="};
    absl::StatusOr<std::unique_ptr<Subprocess>> child =
        Subprocess::Start(args, options);
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return {};
    (*child)->CloseStdin();
    CommandResult result;
    result.out = (*child)->ReadAllStdout(absl::Seconds(30));
    result.err = (*child)->ReadAllStderr(absl::Seconds(30));
    absl::StatusOr<int> code = (*child)->Wait(absl::Seconds(30));
    EXPECT_TRUE(code.ok()) << code.status();
    result.exit_code = code.ok() ? *code : -1;
    return result;
  }

  // Nothing listens there: the port is below 1024 and chorusd is not root's.
  static constexpr char kNowhere[] = "127.0.0.1:1";
  std::string config_home_;
};

TEST_F(CliContextTest, SelectedContextPointsCommandsAtTheBroker) {
  CommandResult add =
      Chorus({"context", "add", "local", "--server", broker_->address(),
              "--description", "the test's broker", "--use"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  CommandResult pub = Chorus({"pub", "ctx.topic", "hello"});
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  CommandResult sub =
      Chorus({"sub", "ctx.topic", "--from", "earliest", "--count", "1"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "hello\n");
}

TEST_F(CliContextTest, ContextFlagAndEnvironmentChooseAmongContexts) {
  ASSERT_EQ(Chorus({"context", "add", "dead", "--server", kNowhere}).exit_code,
            0);
  ASSERT_EQ(Chorus({"context", "add", "live", "--server", broker_->address()})
                .exit_code,
            0);
  ASSERT_EQ(Chorus({"context", "use", "dead"}).exit_code, 0);

  CommandResult selected = Chorus({"topics", "list"});
  EXPECT_EQ(selected.exit_code, 1);
  EXPECT_THAT(selected.err, HasSubstr(std::string("connect ") + kNowhere));

  EXPECT_EQ(Chorus({"--context", "live", "topics", "list"}).exit_code, 0);
  EXPECT_EQ(Chorus({"topics", "list"}, "live").exit_code, 0);
  // The command line still wins over any context.
  EXPECT_EQ(
      Chorus({"topics", "list", "--server", broker_->address()}).exit_code, 0);
}

TEST_F(CliContextTest, ServerListFallsThroughToTheFirstThatAccepts) {
  CommandResult pub =
      Chorus({"pub", "ctx.list", "--server",
              std::string(kNowhere) + "," + broker_->address(), "v"});
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_THAT(pub.err, HasSubstr("published 1 message to ctx.list"));
}

}  // namespace
}  // namespace chorus::testing
