// The chorus tool's durable and group subscriptions and status topics,
// against a real chorusd, as a user drives them.
#include <signal.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class CliSubscriptionsTest : public CliBrokerTest {};

TEST_F(CliSubscriptionsTest, DurableSubResumesWhereTheLastRunStopped) {
  ASSERT_EQ(Chorus({"pub", "c.orders"}, "o1\no2\no3\no4\no5\n").exit_code, 0);
  CommandResult first = Chorus({"sub", "c.orders", "--durable", "billing",
                                "--from", "earliest", "--count", "3"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "o1\no2\no3\n");

  CommandResult list = Chorus({"subs", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("billing\tc.orders\tdurable\tmembers 0\t"
                                  "lag 2"));

  CommandResult second =
      Chorus({"sub", "c.orders", "--durable", "billing", "--count", "2"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "o4\no5\n");

  CommandResult describe = Chorus({"subs", "describe", "billing"});
  EXPECT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_THAT(describe.out, HasSubstr("ack: explicit"));
  EXPECT_THAT(describe.out, HasSubstr("c.orders/0: position 5 head 5 lag 0"));

  EXPECT_EQ(Chorus({"subs", "delete", "billing"}).exit_code, 0);
  CommandResult gone = Chorus({"subs", "describe", "billing"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("no durable subscription billing"));
}

TEST_F(CliSubscriptionsTest, GroupMembersShareTheMessages) {
  ASSERT_EQ(Chorus({"topics", "create", "c.jobs"}).exit_code, 0);
  std::unique_ptr<Subprocess> one =
      StartChorus({"sub", "c.jobs", "--group", "crew", "--timeout", "3"});
  std::unique_ptr<Subprocess> two =
      StartChorus({"sub", "c.jobs", "--group", "crew", "--timeout", "3"});
  ASSERT_TRUE(one->WaitForStderr("subscribed", absl::Seconds(10)));
  ASSERT_TRUE(two->WaitForStderr("subscribed", absl::Seconds(10)));
  std::set<std::string> expected;
  for (int k = 0; k < 12; ++k) {
    const std::string line = absl::StrCat("job", k);
    expected.insert(line);
    ASSERT_EQ(Chorus({"pub", "c.jobs", "--key", absl::StrCat("k", k), line})
                  .exit_code,
              0);
  }
  std::vector<std::string> got_one =
      Lines(one->ReadAllStdout(absl::Seconds(20)));
  std::vector<std::string> got_two =
      Lines(two->ReadAllStdout(absl::Seconds(20)));
  EXPECT_FALSE(got_one.empty());
  EXPECT_FALSE(got_two.empty());
  std::multiset<std::string> all(got_one.begin(), got_one.end());
  all.insert(got_two.begin(), got_two.end());
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), expected);
  EXPECT_EQ(all.size(), expected.size()) << "a message went to both";
}

TEST_F(CliSubscriptionsTest, StatusPrintsTheTableWithStaleKeys) {
  ASSERT_EQ(Chorus({"topics", "create", "c.health", "--status"}).exit_code, 0);
  CommandResult describe = Chorus({"topics", "describe", "c.health"});
  EXPECT_THAT(describe.out, HasSubstr("status: yes"));
  // --bind: the key goes stale when this command ends.
  ASSERT_EQ(Chorus({"pub", "c.health", "--key", "payments", "--bind", "up"})
                .exit_code,
            0);
  ASSERT_EQ(Chorus({"pub", "c.health", "--key", "search", "green"}).exit_code,
            0);
  ASSERT_EQ(Chorus({"pub", "c.health", "--key", "search", "amber"}).exit_code,
            0);
  // The stale marker follows the end of the first command's connection.
  CommandResult status;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    status = Chorus({"status", "c.health"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
  } while (!absl::StrContains(status.out, "stale") && absl::Now() < deadline);
  std::vector<std::string> lines = Lines(status.out);
  ASSERT_EQ(lines.size(), 3u) << status.out;
  EXPECT_THAT(lines[0], MatchesRegex("KEY +STATE +AGE\tVALUE"));
  EXPECT_THAT(
      lines[1],
      MatchesRegex("payments +stale \\(session-ended\\) +[0-9a-z.]+\t"));
  EXPECT_THAT(lines[2], MatchesRegex("search +live +[0-9a-z.]+\tamber"));

  CommandResult plain = Chorus({"status", "c.other"});
  EXPECT_EQ(plain.exit_code, 1);
  ASSERT_EQ(Chorus({"pub", "c.plain", "x"}).exit_code, 0);
  plain = Chorus({"status", "c.plain"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err, HasSubstr("is not a status topic"));
}

TEST_F(CliSubscriptionsTest, StatusWatchPrintsEachChange) {
  ASSERT_EQ(Chorus({"topics", "create", "c.watch", "--status"}).exit_code, 0);
  ASSERT_EQ(Chorus({"pub", "c.watch", "--key", "db", "ok"}).exit_code, 0);
  std::unique_ptr<Subprocess> watch =
      StartChorus({"status", "c.watch", "--watch"});
  absl::StatusOr<std::string> header = watch->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(header.ok()) << header.status();
  absl::StatusOr<std::string> row = watch->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(row.ok());
  EXPECT_THAT(*row, HasSubstr("\tok"));
  ASSERT_EQ(Chorus({"pub", "c.watch", "--key", "db", "degraded"}).exit_code, 0);
  absl::StatusOr<std::string> change = watch->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_THAT(*change, MatchesRegex("db +live +[0-9a-z.]+\tdegraded"));
  watch->Signal(SIGTERM);
  absl::StatusOr<int> code = watch->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST_F(CliSubscriptionsTest, SubFromPublisherAndClientName) {
  ASSERT_EQ(
      Chorus({"--client-name", "svc-a", "pub", "c.mixed", "from-a"}).exit_code,
      0);
  ASSERT_EQ(
      Chorus({"--client-name", "svc-b", "pub", "c.mixed", "from-b"}).exit_code,
      0);
  CommandResult sub =
      Chorus({"sub", "c.mixed", "--from", "earliest", "--from-publisher",
              "svc-b", "--timeout", "1", "--format", "json"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  ASSERT_EQ(Lines(sub.out).size(), 1u) << sub.out;
  EXPECT_THAT(sub.out, HasSubstr("\"publisher\":\"svc-b\""));
  EXPECT_THAT(sub.out, HasSubstr("\"value\":\"from-b\""));
}

TEST_F(CliSubscriptionsTest, UsageErrorsForTheNewFlags) {
  EXPECT_EQ(Chorus({"sub", "x", "--durable", "a", "--group", "b"}).exit_code,
            2);
  EXPECT_EQ(Chorus({"sub", "x", "--ack", "sometimes"}).exit_code, 2);
  EXPECT_EQ(Chorus({"pub", "x", "--bind", "v"}).exit_code, 2);
  EXPECT_EQ(Chorus({"subs", "rename", "a"}).exit_code, 2);
  EXPECT_EQ(Chorus({"status"}).exit_code, 2);
}

}  // namespace
}  // namespace chorus::testing
