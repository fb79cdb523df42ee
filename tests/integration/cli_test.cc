// The chorus command-line tool against a real chorusd, as a user drives it.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CliTest : public CliBrokerTest {
 protected:
  // Starts `chorus sub ...`; it says "subscribed" on stderr once live.
  std::unique_ptr<Subprocess> StartSub(std::vector<std::string> args) {
    args.insert(args.begin(), "sub");
    return StartChorus(std::move(args));
  }
};

TEST_F(CliTest, PubOneMessageAndSubItBack) {
  CommandResult pub = Chorus({"pub", "acme.payments.status", "--key", "eu-1",
                              "--header", "region=eu", "up"});
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_THAT(pub.err,
              HasSubstr("published 1 message to acme.payments.status"));

  CommandResult sub = Chorus(
      {"sub", "acme.payments.status", "--from", "earliest", "--count", "1"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "up\n");
}

TEST_F(CliTest, ClusterStatusOfASingleNodeShowsItself) {
  CommandResult status = Chorus({"cluster", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out,
            "cluster: (a single node)\ncontroller: chorus-1 "
            "(epoch 0)\nchorus-1\t" +
                broker_->address() + "\t-\talive\t0 partitions, 0 led\n");
}

TEST_F(CliTest, PubReadsEachStdinLineAsAMessage) {
  CommandResult pub = Chorus({"pub", "t.lines"}, "one\ntwo\nthree\n");
  EXPECT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_THAT(pub.err, HasSubstr("published 3 messages to t.lines"));
  CommandResult sub =
      Chorus({"sub", "t.lines", "--from", "earliest", "--count", "3"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "one\ntwo\nthree\n");
}

TEST_F(CliTest, SubJsonCarriesEveryField) {
  ASSERT_EQ(
      Chorus({"pub", "t.json", "--key", "k\"1", "--header", "a=b", "va\\lue"})
          .exit_code,
      0);
  CommandResult sub = Chorus({"sub", "t.json", "--from", "last:1", "--count",
                              "1", "--format", "json"});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_THAT(sub.out, StartsWith("{\"topic\":\"t.json\",\"partition\":0,"
                                  "\"offset\":0,\"timestamp\":\""));
  EXPECT_THAT(sub.out, HasSubstr("\"key\":\"k\\\"1\""));
  EXPECT_THAT(sub.out, HasSubstr("\"headers\":{\"a\":\"b\"}"));
  EXPECT_THAT(sub.out, HasSubstr("\"value\":\"va\\\\lue\"}"));
}

TEST_F(CliTest, LiveSubWithWildcardSeesNewMessagesAndExitsAfterCount) {
  std::unique_ptr<Subprocess> sub = StartSub({"acme.*.status", "--count", "2"});
  ASSERT_NE(sub, nullptr);
  // Readiness: the CLI says so on stderr once the broker accepted it.
  ASSERT_TRUE(sub->WaitForStderr("subscribed", absl::Seconds(20)));
  ASSERT_EQ(Chorus({"pub", "acme.a.status", "first"}).exit_code, 0);
  ASSERT_EQ(Chorus({"pub", "acme.a.other", "skipped"}).exit_code, 0);
  ASSERT_EQ(Chorus({"pub", "acme.b.status", "second"}).exit_code, 0);
  absl::StatusOr<int> code = sub->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(sub->ReadAllStdout(absl::Seconds(5)), "first\nsecond\n");
}

TEST_F(CliTest, SubTimeoutExitsZeroWithoutMessages) {
  CommandResult sub = Chorus({"sub", "t.quiet", "--timeout", "0.3"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, "");
}

TEST_F(CliTest, TopicsCreateListDescribeDelete) {
  CommandResult create =
      Chorus({"topics", "create", "acme.orders", "--partitions", "3",
              "--retention-age", "7d", "--retention-messages", "1000"});
  EXPECT_EQ(create.exit_code, 0) << create.err;
  ASSERT_EQ(Chorus({"pub", "acme.orders", "--key", "x", "v"}).exit_code, 0);

  CommandResult list = Chorus({"topics", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("acme.orders"));

  CommandResult describe = Chorus({"topics", "describe", "acme.orders"});
  EXPECT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("acme.orders"));
  EXPECT_GE(Lines(describe.out).size(), 4u) << describe.out;

  CommandResult del = Chorus({"topics", "delete", "acme.orders"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  CommandResult again = Chorus({"topics", "describe", "acme.orders"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, StartsWith("chorus: error: "));
  EXPECT_THAT(again.err, HasSubstr("does not exist"));
}

TEST_F(CliTest, ErrorsAreOneLineAndNonZero) {
  CommandResult bad_topic = Chorus({"pub", "bad topic", "v"});
  EXPECT_NE(bad_topic.exit_code, 0);
  EXPECT_THAT(bad_topic.err, StartsWith("chorus: error: "));
  EXPECT_EQ(Lines(bad_topic.err).size(), 1u) << bad_topic.err;

  absl::StatusOr<CommandResult> refused =
      RunCommand({ChorusCliPath(), "topics", "list", "--server", "127.0.0.1:1"},
                 "", absl::Seconds(20));
  ASSERT_TRUE(refused.ok());
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_THAT(refused->err, StartsWith("chorus: error: "));

  CommandResult usage = Chorus({"frobnicate"});
  EXPECT_NE(usage.exit_code, 0);
}

TEST_F(CliTest, ServerComesFromTheEnvironmentWhenNotGiven) {
  Subprocess::Options options;
  options.env = {"CHORUS_SERVER=" + broker_->address()};
  absl::StatusOr<std::unique_ptr<Subprocess>> list =
      Subprocess::Start({ChorusCliPath(), "topics", "list"}, options);
  ASSERT_TRUE(list.ok());
  absl::StatusOr<int> code = (*list)->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << (*list)->ReadAllStderr(absl::Seconds(1));
}

}  // namespace
}  // namespace chorus::testing
