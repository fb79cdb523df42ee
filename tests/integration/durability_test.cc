// What survives a broker restart and a crash.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "common/sync.h"
#include "gmock/gmock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

// Every guarantee here holds under each fsync mode: a process crash loses
// nothing acknowledged, since acks follow the WAL write in every mode.
class DurabilityTest : public BrokerTest,
                       public ::testing::WithParamInterface<std::string> {
 protected:
  std::vector<std::string> BrokerFlags() override {
    return {"--fsync", GetParam()};
  }
};

INSTANTIATE_TEST_SUITE_P(FsyncModes, DurabilityTest,
                         ::testing::Values("always", "interval", "never"));

TEST_P(DurabilityTest, RestartKeepsTopicsAndEveryAcknowledgedMessage) {
  ASSERT_TRUE(client_->CreateTopic("t.kept", {.partitions = 3}).ok());
  const std::vector<PublishResult> acks = PublishAll(*client_, "t.kept", 300);
  ASSERT_EQ(acks.size(), 300u);
  // Where each message m0..m299 was stored, as its ack said.
  std::map<std::pair<uint32_t, uint64_t>, std::string> stored;
  for (int i = 0; i < 300; ++i) {
    stored[{acks[i].partition, acks[i].offset}] = "m" + std::to_string(i);
  }
  ASSERT_EQ(stored.size(), 300u);
  client_.reset();
  absl::StatusOr<int> code = broker_->Stop();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << broker_->Log();

  ASSERT_TRUE(broker_->Restart().ok());
  client_ = ConnectOrDie(*broker_);
  absl::StatusOr<TopicInfo> info = client_->DescribeTopic("t.kept");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->partitions.size(), 3u);
  uint64_t total = 0;
  for (const PartitionInfo& p : info->partitions) total += p.next_offset;
  EXPECT_EQ(total, 300u);

  // Each message is back at its offset, and nothing else is there.
  std::vector<Received> got = ReadFromStart(*client_, "t.kept", 300);
  std::map<std::pair<uint32_t, uint64_t>, std::string> read;
  for (const Received& r : got) read[{r.partition, r.offset}] = r.value;
  EXPECT_EQ(got.size(), 300u);
  EXPECT_EQ(read, stored);

  // Offsets continue where they stopped.
  absl::StatusOr<PublishResult> next =
      client_->PublishAndWait("t.kept", {.key = "k", .value = "after"});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->offset, info->partitions[next->partition].next_offset);
}

TEST_P(DurabilityTest, KillDuringPublishStreamLosesNoAcknowledgedMessage) {
  // A publisher streams numbered messages; we SIGKILL the broker while acks
  // are flowing, then check every acked message is stored, at its offset.
  std::mutex mutex;
  std::condition_variable changed;
  std::map<uint64_t, std::string> acked;  // offset -> value
  std::atomic<bool> stop{false};
  std::unique_ptr<Client> publisher =
      ConnectOrDie(*broker_, "publisher", Impatient());
  std::thread stream([&] {
    for (int i = 0; !stop.load(); ++i) {
      std::string value = "n" + std::to_string(i);
      publisher->Publish("t.crash", {.value = value},
                         [&, value](absl::StatusOr<PublishResult> r) {
                           if (!r.ok()) {
                             stop = true;
                             return;
                           }
                           std::lock_guard<std::mutex> lock(mutex);
                           acked[r->offset] = value;
                           changed.notify_all();
                         });
    }
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(WaitFor(changed, lock, absl::Seconds(60),
                        [&] { return acked.size() >= 20000; }));
  }
  broker_->Kill();
  stop = true;
  stream.join();
  // Nothing is failed for the lost connection: the client holds what is
  // unacknowledged for the broker to come back (here not within the wait).
  EXPECT_EQ(publisher->Flush().code(), absl::StatusCode::kDeadlineExceeded);
  publisher->Close();

  std::map<uint64_t, std::string> expected;
  {
    std::lock_guard<std::mutex> lock(mutex);
    expected = acked;
  }
  ASSERT_TRUE(broker_->Restart().ok());
  client_ = ConnectOrDie(*broker_);
  std::vector<Received> got =
      ReadFromStart(*client_, "t.crash", expected.size());
  ASSERT_GE(got.size(), expected.size());
  // Offsets are dense from 0 and every acked message sits at its offset.
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].offset, i);
  for (const auto& [offset, value] : expected) {
    ASSERT_EQ(got[offset].value, value) << "offset " << offset;
  }
}

TEST_P(DurabilityTest, SigtermDuringPublishStreamFinishesInFlightAcks) {
  // Graceful stop: each publish in flight is either acknowledged (and then
  // stored) or, the broker being gone, failed with kUnavailable when the
  // client closes; the broker exits 0.
  std::mutex mutex;
  std::condition_variable changed;
  std::map<uint64_t, std::string> acked;
  int failed = 0;
  std::atomic<bool> stop{false};
  std::unique_ptr<Client> publisher =
      ConnectOrDie(*broker_, "publisher", Impatient());
  std::thread stream([&] {
    for (int i = 0; !stop.load(); ++i) {
      std::string value = "n" + std::to_string(i);
      publisher->Publish(
          "t.term", {.value = value},
          [&, value](absl::StatusOr<PublishResult> r) {
            std::lock_guard<std::mutex> lock(mutex);
            if (r.ok()) {
              acked[r->offset] = value;
              changed.notify_all();
            } else {
              EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
                  << r.status();
              ++failed;
              stop = true;
            }
          });
    }
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(WaitFor(changed, lock, absl::Seconds(60),
                        [&] { return acked.size() >= 20000; }));
  }
  absl::StatusOr<int> code = broker_->Stop();
  stop = true;
  stream.join();
  publisher->Close();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0) << broker_->Log();

  std::map<uint64_t, std::string> expected;
  {
    std::lock_guard<std::mutex> lock(mutex);
    expected = acked;
  }
  ASSERT_TRUE(broker_->Restart().ok());
  client_ = ConnectOrDie(*broker_);
  std::vector<Received> got =
      ReadFromStart(*client_, "t.term", expected.size());
  ASSERT_GE(got.size(), expected.size());
  for (const auto& [offset, value] : expected) {
    ASSERT_EQ(got[offset].value, value) << "offset " << offset;
  }
}

TEST(BrokerStartupTest, SecondBrokerOnTheSameDataDirRefusesClearly) {
  absl::StatusOr<std::unique_ptr<BrokerProcess>> first = BrokerProcess::Start();
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<CommandResult> second =
      RunCommand({ChorusdPath(), "--listen", "127.0.0.1:0", "--data-dir",
                  (*first)->data_dir()},
                 "", absl::Seconds(20));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->exit_code, 0);
  EXPECT_THAT(second->err, ::testing::HasSubstr("in use by another chorusd"));
  // The first one still serves.
  std::unique_ptr<Client> client = ConnectOrDie(**first);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->Ping().ok());
}

TEST(BrokerStartupTest, SigtermExitsCleanly) {
  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker =
      BrokerProcess::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  std::unique_ptr<Client> client =
      ConnectOrDie(**broker, "it-client", Impatient());
  PublishAll(*client, "t.bye", 10);
  absl::StatusOr<int> code = (*broker)->Stop();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  // The connected client waits for the broker to come back, within its
  // limits: it does not hang.
  EXPECT_EQ(client->PublishAndWait("t.bye", {.value = "late"}).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace chorus::testing
