#include "broker/cluster/etcd/lease_keeper.h"

#include <atomic>
#include <future>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"

namespace chorus::etcd {
namespace {

// Collects the keeper's one report.
struct LostReport {
  std::promise<absl::Status> promise;
  std::future<absl::Status> future = promise.get_future();
  std::atomic<int> calls{0};
  LeaseKeeper::LostCallback Callback() {
    return [this](absl::Status why) {
      if (calls.fetch_add(1) == 0) promise.set_value(std::move(why));
    };
  }
};

TEST_F(EtcdTest, AKeptLeaseOutlivesItsTtl) {
  absl::StatusOr<Lease> lease = client_->GrantLease(absl::Seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(client_->Put("/alive", "x", lease->id).ok());
  LostReport lost;
  {
    LeaseKeeper keeper(*client_, *lease, lost.Callback());
    absl::SleepFor(absl::Seconds(5));
    EXPECT_TRUE(client_->Get("/alive")->has_value());
  }
  EXPECT_EQ(lost.calls, 0);
  // Without the keeper the key goes about a TTL later.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (client_->Get("/alive")->has_value() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_FALSE(client_->Get("/alive")->has_value());
}

TEST_F(EtcdTest, TheKeeperReportsALeaseThatEtcdRevoked) {
  absl::StatusOr<Lease> lease = client_->GrantLease(absl::Seconds(3));
  ASSERT_TRUE(lease.ok()) << lease.status();
  LostReport lost;
  LeaseKeeper keeper(*client_, *lease, lost.Callback());
  ASSERT_TRUE(client_->RevokeLease(lease->id).ok());
  ASSERT_EQ(lost.future.wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  EXPECT_EQ(lost.future.get().code(), absl::StatusCode::kNotFound);
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(lost.calls, 1);
}

TEST_F(EtcdTest, TheKeeperGivesUpWithinATtlOfLosingEtcd) {
  absl::StatusOr<Lease> lease = client_->GrantLease(absl::Seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status();
  LostReport lost;
  LeaseKeeper keeper(*client_, *lease, lost.Callback());
  absl::SleepFor(absl::Seconds(1));
  etcd_->Pause(0);  // a hung member: the stream neither breaks nor answers
  const absl::Time paused = absl::Now();
  ASSERT_EQ(lost.future.wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  const absl::Duration after = absl::Now() - paused;
  EXPECT_EQ(lost.future.get().code(), absl::StatusCode::kDeadlineExceeded);
  // It vouched for the lease until at most a TTL after its last answered
  // keep-alive (sent before the pause), not a TTL after some later try.
  EXPECT_LE(after, absl::Seconds(2) + absl::Milliseconds(800));
  etcd_->Resume(0);
}

TEST_F(EtcdTest, TheKeeperRidesOutAnEtcdRestartShorterThanTheTtl) {
  absl::StatusOr<Lease> lease = client_->GrantLease(absl::Seconds(6));
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(client_->Put("/alive", "x", lease->id).ok());
  LostReport lost;
  LeaseKeeper keeper(*client_, *lease, lost.Callback());
  etcd_->Kill(0);
  ASSERT_TRUE(etcd_->Restart(0).ok());
  // Past the TTL from before the restart: only the keeper kept it.
  absl::SleepFor(absl::Seconds(7));
  EXPECT_EQ(lost.calls, 0);
  EXPECT_TRUE(client_->Get("/alive")->has_value());
}

}  // namespace
}  // namespace chorus::etcd
