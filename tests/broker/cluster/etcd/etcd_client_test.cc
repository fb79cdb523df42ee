#include "broker/cluster/etcd/etcd_client.h"

#include <future>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"

namespace chorus::etcd {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

TEST_F(EtcdTest, PutThenGetReturnsTheValueAndItsRevisions) {
  absl::StatusOr<int64_t> first = client_->Put("/k", "one");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<int64_t> second = client_->Put("/k", "two");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(*second, *first);

  absl::StatusOr<std::optional<KeyValue>> got = client_->Get("/k");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "two");
  EXPECT_EQ((*got)->create_revision, *first);
  EXPECT_EQ((*got)->mod_revision, *second);
  EXPECT_EQ((*got)->version, 2);

  absl::StatusOr<std::optional<KeyValue>> missing = client_->Get("/nope");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->has_value());
}

TEST_F(EtcdTest, PrefixReadsAndDeletesStayInsideThePrefix) {
  for (const char* key : {"/a/1", "/a/2", "/a0", "/b/1"}) {
    ASSERT_TRUE(client_->Put(key, key).ok());
  }
  absl::StatusOr<RangeResult> range = client_->GetPrefix("/a/");
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_THAT(range->kvs, ElementsAre(Field(&KeyValue::key, "/a/1"),
                                      Field(&KeyValue::key, "/a/2")));
  EXPECT_GT(range->revision, 0);

  absl::StatusOr<int64_t> deleted = client_->DeletePrefix("/a/");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2);
  EXPECT_THAT(client_->GetPrefix("/a/")->kvs, IsEmpty());
  EXPECT_TRUE(client_->Get("/a0")->has_value());
  EXPECT_EQ(*client_->Delete("/b/1"), 1);
  EXPECT_EQ(*client_->Delete("/b/1"), 0);
}

TEST_F(EtcdTest, CreateIfAbsentSucceedsOnceAndTheLoserReadsTheWinner) {
  auto claim = [&](const std::string& who) {
    return client_->Txn({Compare::Absent("/owner")}, {Op::Put("/owner", who)},
                        {Op::Get("/owner")});
  };
  absl::StatusOr<TxnResult> won = claim("a");
  ASSERT_TRUE(won.ok()) << won.status();
  EXPECT_TRUE(won->succeeded);
  EXPECT_THAT(won->reads, IsEmpty());

  absl::StatusOr<TxnResult> lost = claim("b");
  ASSERT_TRUE(lost.ok()) << lost.status();
  EXPECT_FALSE(lost->succeeded);
  ASSERT_EQ(lost->reads.size(), 1u);
  ASSERT_EQ(lost->reads[0].size(), 1u);
  EXPECT_EQ(lost->reads[0][0].value, "a");
  EXPECT_EQ(lost->reads[0][0].create_revision, won->revision);
}

TEST_F(EtcdTest, AWriteFencedByACreateRevisionFailsOnceTheKeyIsRecreated) {
  const int64_t epoch = *client_->Put("/controller", "a");
  auto fenced_write = [&](int64_t fence) {
    return client_->Txn({Compare::CreateRevisionIs("/controller", fence)},
                        {Op::Put("/state", "written")}, {});
  };
  EXPECT_TRUE(fenced_write(epoch)->succeeded);

  ASSERT_EQ(*client_->Delete("/controller"), 1);
  const int64_t next_epoch = *client_->Put("/controller", "b");
  EXPECT_FALSE(fenced_write(epoch)->succeeded);
  EXPECT_TRUE(fenced_write(next_epoch)->succeeded);
}

TEST_F(EtcdTest, CompareAndSwapOnModRevisionLetsOneOfTwoWritersWin) {
  const int64_t read_at = *client_->Put("/counter", "1");
  auto swap = [&](const std::string& value) {
    return client_->Txn({Compare::ModRevisionIs("/counter", read_at)},
                        {Op::Put("/counter", value)}, {});
  };
  EXPECT_TRUE(swap("2")->succeeded);
  EXPECT_FALSE(swap("3")->succeeded);
  EXPECT_EQ((*client_->Get("/counter"))->value, "2");

  EXPECT_TRUE(client_
                  ->Txn({Compare::ValueIs("/counter", "2")},
                        {Op::DeletePrefix("/count")}, {})
                  ->succeeded);
  EXPECT_FALSE(client_->Get("/counter")->has_value());
}

TEST_F(EtcdTest, RevokingALeaseDeletesItsKeys) {
  absl::StatusOr<Lease> lease = client_->GrantLease(absl::Seconds(30));
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->ttl, absl::Seconds(30));
  ASSERT_TRUE(client_->Put("/leased", "x", lease->id).ok());
  EXPECT_EQ((*client_->Get("/leased"))->lease, lease->id);

  ASSERT_TRUE(client_->RevokeLease(lease->id).ok());
  EXPECT_FALSE(client_->Get("/leased")->has_value());
  EXPECT_EQ(client_->RevokeLease(lease->id).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(EtcdTest, APutUnderAnUnknownLeaseIsRefused) {
  absl::StatusOr<int64_t> put = client_->Put("/k", "v", 12345);
  EXPECT_EQ(put.status().code(), absl::StatusCode::kNotFound) << put.status();
}

TEST_F(EtcdTest, ACallWaitsForAnEtcdThatRestartsWithinItsDeadline) {
  ASSERT_TRUE(client_->Put("/k", "before").ok());
  etcd_->Kill(0);
  // The call starts while etcd is down; etcd comes back (started from this
  // thread, which its process dies with) before the call's deadline.
  std::future<absl::StatusOr<std::optional<KeyValue>>> got =
      std::async(std::launch::async, [&] { return client_->Get("/k"); });
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_TRUE(etcd_->Restart(0).ok());
  absl::StatusOr<std::optional<KeyValue>> value = got.get();
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ((*value)->value, "before");
}

TEST_F(EtcdTest, ACallToAGoneEtcdFailsAtItsDeadline) {
  etcd_->Kill(0);
  auto impatient =
      Client::Connect(etcd_->endpoints(), {.call_timeout = absl::Seconds(1)});
  ASSERT_TRUE(impatient.ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<int64_t> put = (*impatient)->Put("/k", "v");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kDeadlineExceeded)
      << put.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_NE(put.status().message().find("etcd Put"), absl::string_view::npos);
}

class ThreeMemberEtcdTest : public ::testing::Test {};

TEST_F(ThreeMemberEtcdTest, CallsMoveToALiveMemberWhenOneDies) {
  auto etcd = chorus::testing::EtcdCluster::Start(3);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  auto client = Client::Connect((*etcd)->endpoints(),
                                {.call_timeout = absl::Seconds(10)});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Put("/k", "0").ok());
  // pick_first talks to the first member; kill it, then the next.
  for (int member : {0, 1}) {
    (*etcd)->Kill(member);
    if (member == 1) {
      ASSERT_TRUE((*etcd)->Restart(0).ok());
    }
    absl::StatusOr<int64_t> put =
        (*client)->Put("/k", std::to_string(member + 1));
    ASSERT_TRUE(put.ok()) << "after killing member " << member << ": "
                          << put.status();
  }
  EXPECT_EQ((*(*client)->Get("/k"))->value, "2");
}

}  // namespace
}  // namespace chorus::etcd
