#include "broker/cluster/controller_election.h"

#include <condition_variable>
#include <mutex>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"

namespace chorus::cluster {
namespace {

// A candidate: a lease of its own and an election, and what it saw.
class Candidate {
 public:
  Candidate(etcd::Client& etcd, const ClusterKeys& keys, std::string id,
            etcd::Lease lease)
      : lease_(lease),
        election_(std::make_unique<ControllerElection>(
            etcd, keys, std::move(id), lease.id,
            [this](const ControllerInfo& now) {
              std::lock_guard<std::mutex> lock(mutex_);
              seen_ = now;
              changed_.notify_all();
            })) {}

  // Waits until this candidate knows `node_id` as the controller.
  ControllerInfo WaitForController(const std::string& node_id) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(15),
                      [&] { return seen_.node_id == node_id; });
    return seen_;
  }
  const etcd::Lease& lease() const { return lease_; }
  void Resign() { election_.reset(); }

 private:
  const etcd::Lease lease_;
  std::mutex mutex_;
  std::condition_variable changed_;
  ControllerInfo seen_;
  std::unique_ptr<ControllerElection> election_;
};

class ControllerElectionTest : public etcd::EtcdTest {
 protected:
  etcd::Lease NewLease(absl::Duration ttl = absl::Seconds(30)) {
    absl::StatusOr<etcd::Lease> lease = client_->GrantLease(ttl);
    EXPECT_TRUE(lease.ok()) << lease.status();
    return lease.ok() ? *lease : etcd::Lease{};
  }
  absl::StatusOr<etcd::TxnResult> FencedWrite(int64_t epoch,
                                              const std::string& value) {
    return ControllerElection::FencedTxn(*client_, keys_, epoch, {},
                                         {etcd::Op::Put("/state", value)});
  }

  const ClusterKeys keys_{"c"};
};

TEST_F(ControllerElectionTest, OneOfTwoWinsAndBothAgreeWhich) {
  Candidate a(*client_, keys_, "a", NewLease());
  const ControllerInfo won = a.WaitForController("a");
  ASSERT_EQ(won.node_id, "a");
  Candidate b(*client_, keys_, "b", NewLease());
  const ControllerInfo seen = b.WaitForController("a");
  EXPECT_EQ(seen.node_id, "a");
  EXPECT_EQ(seen.epoch, won.epoch);
  EXPECT_EQ((*client_->Get(keys_.Controller()))->create_revision, won.epoch);
}

TEST_F(ControllerElectionTest, WhenTheControllerResignsAnotherTakesOverHigher) {
  Candidate a(*client_, keys_, "a", NewLease());
  const int64_t first = a.WaitForController("a").epoch;
  Candidate b(*client_, keys_, "b", NewLease());
  b.WaitForController("a");
  a.Resign();
  const ControllerInfo next = b.WaitForController("b");
  ASSERT_EQ(next.node_id, "b");
  EXPECT_GT(next.epoch, first);
  EXPECT_TRUE(FencedWrite(next.epoch, "by b")->succeeded);
}

TEST_F(ControllerElectionTest, WhenItsLeaseLapsesAnotherTakesOverWithinItsTtl) {
  // `a`'s lease is never kept alive: a broker that died or hangs.
  Candidate a(*client_, keys_, "a", NewLease(absl::Seconds(2)));
  a.WaitForController("a");
  Candidate b(*client_, keys_, "b", NewLease());
  const absl::Time start = absl::Now();
  EXPECT_EQ(b.WaitForController("b").node_id, "b");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

TEST_F(ControllerElectionTest, AControllerThatLostItsLeaseCannotWrite) {
  Candidate a(*client_, keys_, "a", NewLease(absl::Seconds(2)));
  const int64_t stale = a.WaitForController("a").epoch;
  ASSERT_TRUE(FencedWrite(stale, "by a")->succeeded);
  // `a` pauses past its lease; `b` takes over. When `a` wakes up, it still
  // believes it is in charge and writes with its epoch.
  Candidate b(*client_, keys_, "b", NewLease());
  const int64_t current = b.WaitForController("b").epoch;
  ASSERT_TRUE(FencedWrite(current, "by b")->succeeded);

  absl::StatusOr<etcd::TxnResult> zombie = FencedWrite(stale, "by a, late");
  EXPECT_EQ(zombie.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(zombie.status().message().find("superseded"),
            absl::string_view::npos)
      << zombie.status();
  EXPECT_EQ((*client_->Get("/state"))->value, "by b");
}

TEST_F(ControllerElectionTest, AFencedWriteAlsoChecksItsOwnConditions) {
  Candidate a(*client_, keys_, "a", NewLease());
  const int64_t epoch = a.WaitForController("a").epoch;
  absl::StatusOr<etcd::TxnResult> write = ControllerElection::FencedTxn(
      *client_, keys_, epoch, {etcd::Compare::Absent("/taken")},
      {etcd::Op::Put("/taken", "1")});
  ASSERT_TRUE(write.ok()) << write.status();
  write = ControllerElection::FencedTxn(*client_, keys_, epoch,
                                        {etcd::Compare::Absent("/taken")},
                                        {etcd::Op::Put("/taken", "2")});
  EXPECT_EQ(write.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ((*client_->Get("/taken"))->value, "1");
}

}  // namespace
}  // namespace chorus::cluster
