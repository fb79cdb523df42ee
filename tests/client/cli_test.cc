// The `chorus` binary against a FakeBroker: exit codes, what goes to stdout
// and stderr, and what reaches the broker. CHORUS_CLI_PATH is set by CMake.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/records.h"
#include "tests/client/fake_broker.h"

namespace chorus {
namespace {

using testing::FakeBroker;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One run of the chorus binary with stdin from a string and stdout/stderr
// captured in files of a fresh temporary directory.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const std::string& input,
             const std::string& env_server = "",
             std::vector<std::string> env = {}) {
    char dir_template[] = "/tmp/chorus_cli_test.XXXXXX";
    dir_ = mkdtemp(dir_template);
    const std::string in_path = dir_ + "/stdin";
    out_path_ = dir_ + "/stdout";
    err_path_ = dir_ + "/stderr";
    std::ofstream(in_path, std::ios::binary) << input;

    std::vector<std::string> argv_strings = {CHORUS_CLI_PATH};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (!env_server.empty()) env.push_back("CHORUS_SERVER=" + env_server);
    std::vector<char*> envp;
    // A clean environment, but for the sanitizer runtimes' options (their
    // suppressions of third-party reports) in sanitizer builds.
    for (const char* name :
         {"ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS"}) {
      if (const char* value = getenv(name); value != nullptr) {
        env.push_back(absl::StrCat(name, "=", value));
      }
    }
    for (std::string& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);

    pid_ = fork();
    if (pid_ == 0) {  // only async-signal-safe calls from here
      const int in = open(in_path.c_str(), O_RDONLY);
      const int out =
          open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err =
          open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
  }

  ~CliProcess() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    std::string command = "rm -rf " + dir_;
    EXPECT_EQ(system(command.c_str()), 0);
  }

  // The exit code, or 128 + the signal that killed it.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Waits until stderr (stdout) contains `text`.
  bool WaitForStderr(const std::string& text,
                     absl::Duration timeout = absl::Seconds(10)) {
    return WaitForText(err_path_, text, timeout);
  }
  bool WaitForStdout(const std::string& text,
                     absl::Duration timeout = absl::Seconds(10)) {
    return WaitForText(out_path_, text, timeout);
  }

  void Signal(int signal) { kill(pid_, signal); }
  std::string out() const { return ReadFile(out_path_); }
  std::string err() const { return ReadFile(err_path_); }

 private:
  static bool WaitForText(const std::string& path, const std::string& text,
                          absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (ReadFile(path).find(text) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(5));  // polling a file for readiness
    }
    return false;
  }

  std::string dir_;
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  bool waited_ = false;
};

std::vector<std::string> Values(const wire::Frame& frame) {
  std::vector<std::string> values;
  proto::RecordReader reader(frame.publish().records());
  proto::RecordView record;
  while (reader.Next(&record)) values.emplace_back(record.value);
  return values;
}

// Acknowledges publishes; answers subscribes with an ack and the given
// deliveries; answers the topic calls from a fixed list.
void ServeBroker(FakeBroker& broker, std::vector<std::string> to_deliver = {}) {
  auto next = std::make_shared<uint64_t>(0);
  broker.OnFrame([&broker, next, to_deliver](const wire::Frame& frame) {
    if (frame.has_publish()) {
      const uint32_t n = static_cast<uint32_t>(Values(frame).size());
      broker.Reply(frame, [&](wire::Frame* r) {
        wire::PartitionRange* range = r->mutable_publish_ack()->add_ranges();
        range->set_first_offset(*next);
        range->set_count(n);
      });
      *next += n;
    } else if (frame.has_subscribe()) {
      broker.Reply(frame, [&](wire::Frame* r) {
        r->mutable_subscribe_ack()->set_subscription_id(
            frame.subscribe().subscription_id());
      });
      // A resumed subscription already has them.
      if (to_deliver.empty() || frame.subscribe().resume_size() > 0) return;
      wire::Frame push;
      wire::Deliver* d = push.mutable_deliver();
      d->set_subscription_id(frame.subscribe().subscription_id());
      d->set_topic("acme.x");
      d->set_base_offset(5);
      d->set_timestamp_ms(1714564800123);
      d->set_publisher("svc");
      d->set_count(static_cast<uint32_t>(to_deliver.size()));
      std::string records;
      for (const std::string& v : to_deliver) {
        proto::AppendRecord("", v, {{"h", "1"}}, &records);
      }
      d->set_records(records);
      broker.Send(push);
    } else if (frame.has_list_topics()) {
      broker.Reply(frame, [](wire::Frame* r) {
        wire::TopicInfo* b = r->mutable_topic_list()->add_topics();
        b->set_name("b.topic");
        b->mutable_config()->set_partitions(3);
        wire::TopicInfo* a = r->mutable_topic_list()->add_topics();
        a->set_name("a.topic");
        a->mutable_config()->set_partitions(1);
      });
    } else if (frame.has_describe_topic()) {
      broker.Reply(frame, [&](wire::Frame* r) {
        wire::TopicInfo* info = r->mutable_topic_info();
        info->set_name(frame.describe_topic().name());
        info->mutable_config()->set_partitions(1);
        info->mutable_config()->set_retention_age_ms(3600 * 1000);
        info->mutable_config()->set_retention_messages(10);
        wire::PartitionInfo* p = info->add_partitions();
        p->set_start_offset(2);
        p->set_next_offset(9);
        p->set_bytes(300);
      });
    } else if (frame.has_create_topic()) {
      broker.Reply(frame, [&](wire::Frame* r) {
        r->mutable_topic_info()->set_name(frame.create_topic().name());
        *r->mutable_topic_info()->mutable_config() =
            frame.create_topic().config();
      });
    } else if (frame.has_delete_topic()) {
      broker.ReplyError(frame, absl::NotFoundError("topic nope not found"));
    } else if (frame.has_unsubscribe()) {
      broker.Reply(frame, [](wire::Frame* r) { r->mutable_ok(); });
    }
  });
}

TEST(CliTest, PubPublishesEachLineOfStdin) {
  FakeBroker broker;
  ServeBroker(broker);
  CliProcess pub({"pub", "acme.x", "--server", broker.address(), "--key=k",
                  "--header", "a=1"},
                 "one\n\ntwo\nthree");
  EXPECT_EQ(pub.Wait(), 0) << pub.err();
  EXPECT_EQ(pub.err(), "published 4 messages to acme.x\n");
  EXPECT_EQ(pub.out(), "");
  std::vector<std::string> values;
  for (const wire::Frame& frame : broker.WaitForFrames(1)) {
    EXPECT_EQ(frame.publish().topic(), "acme.x");
    for (std::string& v : Values(frame)) values.push_back(v);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"one", "", "two", "three"}));
}

TEST(CliTest, PubOneMessageUsesServerFromEnvironment) {
  FakeBroker broker;
  ServeBroker(broker);
  CliProcess pub({"pub", "acme.x", "hello world"}, "", broker.address());
  EXPECT_EQ(pub.Wait(), 0) << pub.err();
  EXPECT_EQ(pub.err(),
            "published 1 message to acme.x (partition 0, offset 0)\n");
  EXPECT_EQ(Values(broker.WaitForFrames(1).at(0)),
            (std::vector<std::string>{"hello world"}));
}

TEST(CliTest, PubRefusedByBrokerPrintsOneErrorLineAndExits1) {
  FakeBroker broker;
  broker.OnFrame([&](const wire::Frame& frame) {
    broker.ReplyError(frame, absl::InvalidArgumentError("illegal topic"));
  });
  CliProcess pub({"pub", "bad..t", "--server", broker.address()}, "a\nb\n");
  EXPECT_EQ(pub.Wait(), 1);
  EXPECT_EQ(pub.err(), "chorus: error: publish to bad..t: illegal topic\n");
}

TEST(CliTest, ConnectionRefusedExits1) {
  std::string address;
  {
    FakeBroker gone;
    address = gone.address();
  }
  CliProcess list({"topics", "list", "--server", address}, "");
  EXPECT_EQ(list.Wait(), 1);
  EXPECT_EQ(list.err(),
            "chorus: error: connect " + address + ": Connection refused\n");
}

TEST(CliTest, UsageErrorExits2WithUsage) {
  CliProcess bad({"sub", "a.>", "--from", "yesterday"}, "");
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_EQ(bad.err().rfind("chorus: error: --from: ", 0), 0u) << bad.err();
  EXPECT_NE(bad.err().find("usage: chorus"), std::string::npos);
  CliProcess help({"--help"}, "");
  EXPECT_EQ(help.Wait(), 0);
  EXPECT_EQ(help.out().rfind("usage: chorus", 0), 0u);
}

TEST(CliTest, SubPrintsCountMessagesAsJsonAndExits) {
  FakeBroker broker;
  ServeBroker(broker, {"up", "down \"x\"", "late"});
  CliProcess sub({"sub", "acme.>", "--count", "2", "--format=json", "--server",
                  broker.address(), "--from", "earliest"},
                 "");
  EXPECT_EQ(sub.Wait(), 0) << sub.err();
  EXPECT_EQ(sub.err(), "chorus: subscribed to acme.>\n");
  EXPECT_EQ(sub.out(),
            "{\"topic\":\"acme.x\",\"partition\":0,\"offset\":5,"
            "\"timestamp\":\"2024-05-01T12:00:00.123Z\",\"publisher\":\"svc\","
            "\"key\":null,\"headers\":{\"h\":\"1\"},\"value\":\"up\"}\n"
            "{\"topic\":\"acme.x\",\"partition\":0,\"offset\":6,"
            "\"timestamp\":\"2024-05-01T12:00:00.123Z\",\"publisher\":\"svc\","
            "\"key\":null,\"headers\":{\"h\":\"1\"},"
            "\"value\":\"down \\\"x\\\"\"}\n");
  const wire::Subscribe subscribe = broker.WaitForFrames(1).at(0).subscribe();
  EXPECT_EQ(subscribe.start().kind(), wire::StartPosition::EARLIEST);
}

TEST(CliTest, SubTextEndsAfterTimeoutWithoutMessages) {
  FakeBroker broker;
  ServeBroker(broker, {"a", "b"});
  CliProcess sub(
      {"sub", "acme.>", "--timeout", "0.3", "--server", broker.address()}, "");
  EXPECT_EQ(sub.Wait(), 0) << sub.err();
  EXPECT_EQ(sub.out(), "a\nb\n");
}

TEST(CliTest, SubEndsCleanlyOnSigterm) {
  FakeBroker broker;
  ServeBroker(broker);
  CliProcess sub({"sub", "acme.>", "--server", broker.address()}, "");
  ASSERT_TRUE(sub.WaitForStderr("chorus: subscribed to acme.>\n"));
  sub.Signal(SIGTERM);
  EXPECT_EQ(sub.Wait(), 0) << sub.err();
}

// The library reconnects and resumes: the broker's second Subscribe resumes
// after the message already printed, and the tool goes on printing.
TEST(CliTest, SubSurvivesALostConnection) {
  FakeBroker broker;
  ServeBroker(broker, {"once"});
  CliProcess sub({"sub", "acme.>", "--server", broker.address()}, "");
  ASSERT_TRUE(sub.WaitForStderr("subscribed"));
  broker.Disconnect();
  ASSERT_TRUE(broker.WaitForConnections(2));
  std::vector<wire::Frame> frames;
  for (size_t n = 2; n < 100; ++n) {
    frames = broker.WaitForFrames(n);
    if (frames.size() >= 2 && frames.back().has_subscribe()) break;
  }
  ASSERT_TRUE(frames.back().has_subscribe());
  const wire::Subscribe& again = frames.back().subscribe();
  ASSERT_EQ(again.resume_size(), 1);
  EXPECT_EQ(again.resume(0).offset(), 6u);
  // A later message, delivered on the new connection.
  wire::Frame push;
  wire::Deliver* d = push.mutable_deliver();
  d->set_subscription_id(again.subscription_id());
  d->set_topic("acme.x");
  d->set_base_offset(6);
  d->set_count(1);
  std::string records;
  proto::AppendRecord("", "after", {}, &records);
  d->set_records(records);
  broker.Send(push);
  ASSERT_TRUE(sub.WaitForStdout("after\n")) << sub.out();
  sub.Signal(SIGTERM);
  EXPECT_EQ(sub.Wait(), 0) << sub.err();
  EXPECT_EQ(sub.out(), "once\nafter\n");
}

TEST(CliTest, TopicsCommands) {
  FakeBroker broker;
  ServeBroker(broker);
  CliProcess list({"topics", "list", "--server", broker.address()}, "");
  EXPECT_EQ(list.Wait(), 0);
  EXPECT_EQ(list.out(), "a.topic\t1\nb.topic\t3\n");

  CliProcess describe(
      {"topics", "describe", "a.topic", "--server", broker.address()}, "");
  EXPECT_EQ(describe.Wait(), 0);
  EXPECT_EQ(describe.out(),
            "name: a.topic\npartitions: 1\nretention-age: 1h\n"
            "retention-bytes: unlimited\nretention-messages: 10\n"
            "partition 0: start 2 next 9 bytes 300\n");

  CliProcess create({"topics", "create", "n.t", "--partitions", "4",
                     "--retention-age", "2d", "--server", broker.address()},
                    "");
  EXPECT_EQ(create.Wait(), 0);
  EXPECT_EQ(create.err(), "created topic n.t with 4 partitions\n");
  const wire::Frame created = broker.WaitForFrames(3).at(2);
  EXPECT_EQ(created.create_topic().config().partitions(), 4u);
  EXPECT_EQ(created.create_topic().config().retention_age_ms(),
            2 * 24 * 3600 * 1000);

  CliProcess remove({"topics", "delete", "nope", "--server", broker.address()},
                    "");
  EXPECT_EQ(remove.Wait(), 1);
  EXPECT_EQ(remove.err(),
            "chorus: error: delete topic nope: topic nope not found\n");
}

TEST(CliTest, VersionAndPerCommandHelpGoToStdout) {
  CliProcess version({"--version"}, "");
  EXPECT_EQ(version.Wait(), 0);
  EXPECT_THAT(version.out(),
              ::testing::MatchesRegex("chorus [0-9]+\\.[0-9]+\\.[0-9]+ "
                                      "\\((commit [0-9a-f]{12}, )?[A-Za-z]+ "
                                      "build\\)\n"));
  CliProcess sub_help({"sub", "--help"}, "");
  EXPECT_EQ(sub_help.Wait(), 0);
  EXPECT_EQ(sub_help.out().rfind("usage: chorus sub FILTER [flags]\n", 0), 0u)
      << sub_help.out();
  EXPECT_THAT(sub_help.out(), ::testing::HasSubstr("--from-publisher NAME"));
  CliProcess help_sub({"help", "sub"}, "");
  EXPECT_EQ(help_sub.Wait(), 0);
  EXPECT_EQ(help_sub.out(), sub_help.out());
}

TEST(CliTest, UsageErrorNamesTheCommandsUsage) {
  CliProcess bad({"pub", "acme.x", "--count", "1"}, "");
  EXPECT_EQ(bad.Wait(), 2);
  EXPECT_EQ(bad.err(),
            "chorus: error: flag --count does not apply to pub\n"
            "usage: chorus pub TOPIC [MESSAGE] [flags]\n"
            "Run `chorus pub --help` for its flags and examples.\n");
  CliProcess missing({"topics", "describe"}, "");
  EXPECT_EQ(missing.Wait(), 2);
  EXPECT_EQ(missing.err(),
            "chorus: error: expected topics describe NAME\n"
            "usage: chorus topics describe NAME [flags]\n"
            "Run `chorus topics describe --help` for its flags and "
            "examples.\n");
}

// A folder for the tool's config ($XDG_CONFIG_HOME), removed with it.
class ConfigHome {
 public:
  ConfigHome() {
    char folder[] = "/tmp/chorus_cli_config.XXXXXX";
    path_ = mkdtemp(folder);
  }
  ~ConfigHome() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::vector<std::string> env() const { return {"XDG_CONFIG_HOME=" + path_}; }

 private:
  std::string path_;
};

TEST(CliTest, ContextGivesServersTokenAndClientName) {
  FakeBroker broker;
  ServeBroker(broker);
  std::string refused;
  {
    FakeBroker gone;
    refused = gone.address();
  }
  ConfigHome home;
  std::ofstream(home.path() + "/token") << "s3cret\n";
  CliProcess add({"context", "add", "fake", "--server",
                  refused + "," + broker.address(), "--token-file",
                  home.path() + "/token", "--client-name", "ctx-cli", "--use"},
                 "", "", home.env());
  ASSERT_EQ(add.Wait(), 0) << add.err();
  EXPECT_EQ(add.err(), "added context fake, now in use\n");
  struct stat info;
  ASSERT_EQ(stat((home.path() + "/chorus/contexts.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  // The first server refuses; the second is the broker.
  CliProcess pub({"pub", "acme.x", "hi"}, "", "", home.env());
  EXPECT_EQ(pub.Wait(), 0) << pub.err();
  EXPECT_EQ(broker.hello().client_name(), "ctx-cli");
  EXPECT_EQ(broker.hello().auth_token(), "s3cret");

  CliProcess list({"context", "list"}, "", "", home.env());
  EXPECT_EQ(list.Wait(), 0);
  EXPECT_EQ(list.out(),
            "fake\t" + refused + "," + broker.address() + "\tselected\n");
  CliProcess show({"context", "show"}, "", "", home.env());
  EXPECT_EQ(show.Wait(), 0);
  EXPECT_EQ(show.out(), "name: fake\nservers: " + refused + "," +
                            broker.address() + "\ntoken-file: " + home.path() +
                            "/token\nclient-name: ctx-cli\n");
  CliProcess remove({"context", "remove", "fake"}, "", "", home.env());
  EXPECT_EQ(remove.Wait(), 0);
  CliProcess empty({"context", "list"}, "", "", home.env());
  EXPECT_EQ(empty.Wait(), 0);
  EXPECT_EQ(empty.out(), "");
}

TEST(CliTest, EveryServerRefusingIsOneErrorLine) {
  std::string first;
  std::string second;
  {
    FakeBroker a;
    FakeBroker b;
    first = a.address();
    second = b.address();
  }
  CliProcess list({"topics", "list", "--server", first + "," + second}, "");
  EXPECT_EQ(list.Wait(), 1);
  EXPECT_EQ(list.err(), "chorus: error: connect " + first +
                            ": Connection refused; connect " + second +
                            ": Connection refused\n");
}

TEST(CliTest, CompletionScriptGoesToStdout) {
  CliProcess bash({"completion", "bash"}, "");
  EXPECT_EQ(bash.Wait(), 0);
  EXPECT_THAT(bash.out(),
              ::testing::HasSubstr("complete -F __chorus_complete chorus\n"));
}

}  // namespace
}  // namespace chorus
