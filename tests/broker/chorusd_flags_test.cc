#include "broker/chorusd_flags.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chorus::broker {
namespace {

using ::testing::HasSubstr;

BrokerOptions Options(const std::vector<std::string>& args) {
  absl::StatusOr<ChorusdCommandLine> line = ParseChorusdCommandLine(args);
  EXPECT_TRUE(line.ok()) << line.status();
  if (!line.ok()) return {};
  EXPECT_EQ(line->action, ChorusdCommandLine::Action::kServe);
  return line->options;
}

std::string Error(const std::vector<std::string>& args) {
  absl::StatusOr<ChorusdCommandLine> line = ParseChorusdCommandLine(args);
  EXPECT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(line.status().message());
}

// A flag file in a temporary folder, removed with it.
class FlagFile {
 public:
  explicit FlagFile(const std::string& text) {
    char folder[] = "/tmp/chorusd_flags_test.XXXXXX";
    folder_ = mkdtemp(folder);
    path_ = folder_ + "/chorusd.flags";
    std::ofstream(path_) << text;
  }
  ~FlagFile() { std::filesystem::remove_all(folder_); }
  const std::string& path() const { return path_; }

 private:
  std::string folder_;
  std::string path_;
};

TEST(ChorusdFlagsTest, NoFlagsGiveTheDefaultOptions) {
  const BrokerOptions options = Options({});
  const BrokerOptions defaults;
  EXPECT_EQ(options.listen_host, defaults.listen_host);
  EXPECT_EQ(options.listen_port, defaults.listen_port);
  EXPECT_EQ(options.store.data_dir, defaults.store.data_dir);
  EXPECT_EQ(options.store.fsync, defaults.store.fsync);
  EXPECT_EQ(options.store.fsync_interval, defaults.store.fsync_interval);
  EXPECT_EQ(options.threads, defaults.threads);
  EXPECT_EQ(options.max_frame_bytes, defaults.max_frame_bytes);
  EXPECT_EQ(options.idle_timeout, defaults.idle_timeout);
  EXPECT_TRUE(options.auto_create_topics);
}

TEST(ChorusdFlagsTest, FlagsMaySpellTheirNamesWithDashesOrUnderscores) {
  const BrokerOptions options = Options({"--listen",
                                         "0.0.0.0:7500",
                                         "--data_dir=/srv/chorus",
                                         "--fsync",
                                         "always",
                                         "--fsync-interval=10ms",
                                         "--threads=3",
                                         "--max_frame_bytes",
                                         "2048",
                                         "--max-message-bytes=100",
                                         "--node-id",
                                         "n2",
                                         "--retention-check-interval",
                                         "1m",
                                         "--max-connections=7",
                                         "--max_subscriptions_per_connection=8",
                                         "--max-in-flight-publish-bytes=9",
                                         "--handshake-timeout=2s",
                                         "--idle-timeout=0",
                                         "--frame_timeout=3s"});
  EXPECT_EQ(options.listen_host, "0.0.0.0");
  EXPECT_EQ(options.listen_port, 7500);
  EXPECT_EQ(options.store.data_dir, "/srv/chorus");
  EXPECT_EQ(options.store.fsync, storage::FsyncMode::kAlways);
  EXPECT_EQ(options.store.fsync_interval, absl::Milliseconds(10));
  EXPECT_EQ(options.threads, 3);
  EXPECT_EQ(options.max_frame_bytes, 2048u);
  EXPECT_EQ(options.max_message_bytes, 100u);
  EXPECT_EQ(options.node_id, "n2");
  EXPECT_EQ(options.retention_check_interval, absl::Minutes(1));
  EXPECT_EQ(options.max_connections, 7u);
  EXPECT_EQ(options.max_subscriptions_per_connection, 8u);
  EXPECT_EQ(options.max_in_flight_publish_bytes, 9u);
  EXPECT_EQ(options.handshake_timeout, absl::Seconds(2));
  EXPECT_EQ(options.idle_timeout, absl::ZeroDuration());
  EXPECT_EQ(options.frame_timeout, absl::Seconds(3));
}

TEST(ChorusdFlagsTest, BooleanFlagsTakeTheAbseilSpellings) {
  EXPECT_FALSE(Options({"--auto-create-topics=false"}).auto_create_topics);
  EXPECT_FALSE(Options({"--auto_create_topics=false"}).auto_create_topics);
  EXPECT_FALSE(Options({"--no-auto-create-topics"}).auto_create_topics);
  EXPECT_TRUE(Options({"--auto-create-topics"}).auto_create_topics);
  EXPECT_TRUE(Options({"--auto-create-topics=true"}).auto_create_topics);
  absl::StatusOr<ChorusdCommandLine> verbose =
      ParseChorusdCommandLine({"--verbose"});
  ASSERT_TRUE(verbose.ok());
  EXPECT_TRUE(verbose->verbose);
}

TEST(ChorusdFlagsTest, TheShippedFlagFileParses) {
  const BrokerOptions options =
      Options({"--flagfile=" CHORUS_SOURCE_DIR "/deploy/chorusd.flags"});
  EXPECT_EQ(options.store.data_dir, "/var/lib/chorus");
  EXPECT_EQ(options.listen_port, 7400);
  EXPECT_EQ(options.max_in_flight_publish_bytes, 33554432u);
  EXPECT_EQ(options.frame_timeout, absl::Seconds(30));
}

TEST(ChorusdFlagsTest, CommandLineWinsOverTheFlagFile) {
  FlagFile file(
      "# test\n--listen=127.0.0.1:1\n--max_connections=5\n"
      "--auto_create_topics=false\n--fsync=never\n");
  const BrokerOptions options = Options(
      {"--listen=127.0.0.1:2", "--flagfile", file.path(), "--fsync=always"});
  EXPECT_EQ(options.listen_port, 2);
  EXPECT_EQ(options.max_connections, 5u);
  EXPECT_FALSE(options.auto_create_topics);
  EXPECT_EQ(options.store.fsync, storage::FsyncMode::kAlways);
}

TEST(ChorusdFlagsTest, BadFlagFilesAreErrors) {
  FlagFile unknown("--listen=127.0.0.1:1\n--no_such_flag=1\n");
  EXPECT_EQ(Error({"--flagfile", unknown.path()}),
            "unknown flag --no-such-flag in the flag file");
  FlagFile garbage("listen 127.0.0.1:1\n");
  EXPECT_THAT(Error({"--flagfile", garbage.path()}),
              HasSubstr("flag file line 1: expected --name=value"));
  EXPECT_THAT(Error({"--flagfile=/no/such/file"}), HasSubstr("/no/such/file"));
}

TEST(ChorusdFlagsTest, BadCommandLinesSayWhatIsWrong) {
  EXPECT_EQ(Error({"--bogus"}), "unknown flag --bogus");
  EXPECT_EQ(Error({"serve"}), "chorusd takes no arguments, got \"serve\"");
  EXPECT_EQ(Error({"--listen"}), "flag --listen needs a value");
  EXPECT_EQ(Error({"--listen=nowhere"}),
            "--listen: expected HOST:PORT, got \"nowhere\"");
  EXPECT_EQ(Error({"--fsync=sometimes"}),
            "--fsync: expected always, interval or never, got \"sometimes\"");
  EXPECT_EQ(Error({"--threads=many"}),
            "--threads: expected a whole number, got \"many\"");
  EXPECT_EQ(Error({"--max-frame-bytes=100"}),
            "--max-frame-bytes must be at least 1024, not 100");
  EXPECT_EQ(Error({"--max-connections=0"}),
            "--max-connections must be at least 1, not 0");
  EXPECT_EQ(Error({"--idle-timeout=soon"}),
            "--idle-timeout: expected a duration such as 10s or 5m, got "
            "\"soon\"");
  EXPECT_EQ(Error({"--idle-timeout=-1s"}),
            "--idle-timeout must not be negative");
  EXPECT_EQ(Error({"--frame-timeout=0"}), "--frame-timeout must be positive");
  EXPECT_EQ(Error({"--threads=1", "--threads=2"}),
            "flag --threads given more than once");
}

TEST(ChorusdFlagsTest, HelpListsEveryFlagWithItsDefault) {
  absl::StatusOr<ChorusdCommandLine> help = ParseChorusdCommandLine({"--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->action, ChorusdCommandLine::Action::kPrintHelp);
  EXPECT_THAT(help->text, ::testing::StartsWith("usage: chorusd [flags]\n"));
  EXPECT_THAT(help->text, HasSubstr("--listen HOST:PORT"));
  EXPECT_THAT(help->text, HasSubstr("(default: 127.0.0.1:7400)"));
  EXPECT_THAT(help->text, HasSubstr("--idle-timeout DURATION"));
  EXPECT_THAT(help->text, HasSubstr("(default: 5m)"));
  EXPECT_THAT(help->text, HasSubstr("--flagfile FILE"));
  EXPECT_THAT(help->text, HasSubstr("Examples:\n  chorusd "));
  absl::StatusOr<ChorusdCommandLine> version =
      ParseChorusdCommandLine({"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->action, ChorusdCommandLine::Action::kPrintVersion);
  EXPECT_THAT(version->text, ::testing::StartsWith("chorusd "));
}

}  // namespace
}  // namespace chorus::broker
