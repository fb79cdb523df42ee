#include "broker/cluster/etcd/watcher.h"

#include <condition_variable>
#include <future>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"
#include "tests/integration/subprocess.h"

namespace chorus::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// What a watcher delivered, as "put KEY=VALUE" / "delete KEY" lines.
class Seen {
 public:
  Watcher::EventsCallback Callback() {
    return [this](std::vector<WatchEvent> events) {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const WatchEvent& event : events) {
        lines_.push_back(
            event.type == WatchEvent::Type::kPut
                ? absl::StrCat("put ", event.kv.key, "=", event.kv.value)
                : absl::StrCat("delete ", event.kv.key));
      }
      changed_.notify_all();
    };
  }
  // Waits until `count` lines came; returns them all.
  std::vector<std::string> WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(15),
                      [&] { return lines_.size() >= count; });
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

void NoFailure(absl::Status status) { ADD_FAILURE() << status; }

TEST_F(EtcdTest, AWatchSeesPutsAndDeletesUnderItsPrefixInOrder) {
  ASSERT_TRUE(client_->Put("/w/before", "old").ok());
  absl::StatusOr<RangeResult> snapshot = client_->GetPrefix("/w/");
  ASSERT_TRUE(snapshot.ok());
  Seen seen;
  Watcher watcher(*client_, "/w/", snapshot->revision + 1, seen.Callback(),
                  NoFailure);
  ASSERT_TRUE(client_->Put("/w/a", "1").ok());
  ASSERT_TRUE(client_->Put("/elsewhere", "x").ok());
  ASSERT_TRUE(client_->Put("/w/a", "2").ok());
  ASSERT_TRUE(client_->Delete("/w/before").ok());
  EXPECT_THAT(seen.WaitFor(3),
              ElementsAre("put /w/a=1", "put /w/a=2", "delete /w/before"));
}

TEST_F(EtcdTest, AWatchFromAnOldRevisionReplaysWhatCameSince) {
  const int64_t start = *client_->Put("/w/a", "1");
  ASSERT_TRUE(client_->Put("/w/b", "2").ok());
  Seen seen;
  Watcher watcher(*client_, "/w/", start, seen.Callback(), NoFailure);
  EXPECT_THAT(seen.WaitFor(2), ElementsAre("put /w/a=1", "put /w/b=2"));
}

TEST_F(EtcdTest, AWatchResumesAfterEtcdRestartsWithoutGapOrDuplicate) {
  Seen seen;
  Watcher watcher(*client_, "/w/", *client_->Put("/x", "") + 1, seen.Callback(),
                  NoFailure);
  std::vector<std::string> expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) {
      const std::string key = absl::StrCat("/w/", round, "-", i);
      ASSERT_TRUE(client_->Put(key, "v").ok());
      expected.push_back(absl::StrCat("put ", key, "=v"));
    }
    etcd_->Kill(0);
    ASSERT_TRUE(etcd_->Restart(0).ok());
  }
  ASSERT_TRUE(client_->Put("/w/last", "v").ok());
  expected.push_back("put /w/last=v");
  EXPECT_THAT(seen.WaitFor(expected.size()), ElementsAreArray(expected));
}

TEST_F(EtcdTest, AWatchFromACompactedRevisionFailsSoTheOwnerReReads) {
  const int64_t start = *client_->Put("/w/a", "1");
  const int64_t now = *client_->Put("/w/a", "2");
  absl::StatusOr<chorus::testing::CommandResult> compacted =
      chorus::testing::RunCommand(
          {chorus::testing::EtcdctlPath(), "--endpoints", etcd_->endpoints(),
           "compact", std::to_string(now)},
          "", absl::Seconds(10));
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  ASSERT_EQ(compacted->exit_code, 0) << compacted->err;
  std::promise<absl::Status> failed;
  Seen seen;
  Watcher watcher(*client_, "/w/", start, seen.Callback(),
                  [&](absl::Status status) { failed.set_value(status); });
  std::future<absl::Status> result = failed.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_EQ(result.get().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace chorus::etcd
