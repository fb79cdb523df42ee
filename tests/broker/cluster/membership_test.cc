#include "broker/cluster/membership.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/broker/cluster/etcd/etcd_test_fixture.h"

namespace chorus::cluster {
namespace {

class MembershipTest : public etcd::EtcdTest {
 protected:
  static wire::BrokerRecord Record(const std::string& id,
                                   const std::string& address) {
    wire::BrokerRecord record;
    record.set_node_id(id);
    record.set_address(address);
    record.set_rack("r1");
    return record;
  }
  absl::StatusOr<std::unique_ptr<Membership>> Join(
      const std::string& id, const std::string& address,
      absl::Duration join_timeout = absl::Seconds(10)) {
    ClusterOptions options{.session_timeout = absl::Seconds(2),
                           .join_timeout = join_timeout};
    return Membership::Join(*client_, keys_, Record(id, address), options,
                            [](absl::Status) {});
  }

  const ClusterKeys keys_{"c"};
};

TEST_F(MembershipTest, ARegistrationLivesUnderALeaseAndGoesWithIt) {
  absl::StatusOr<std::unique_ptr<Membership>> member = Join("1", "h:1");
  ASSERT_TRUE(member.ok()) << member.status();
  absl::StatusOr<std::optional<etcd::KeyValue>> kv =
      client_->Get(keys_.Broker("1"));
  ASSERT_TRUE(kv.ok() && kv->has_value());
  wire::BrokerRecord stored;
  ASSERT_TRUE(stored.ParseFromString((*kv)->value));
  EXPECT_EQ(stored.address(), "h:1");
  EXPECT_EQ(stored.rack(), "r1");
  EXPECT_EQ((*kv)->lease, (*member)->lease_id());
  EXPECT_EQ((*kv)->create_revision, (*member)->incarnation());

  // Kept alive past its session timeout; gone as soon as it leaves.
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(client_->Get(keys_.Broker("1"))->has_value());
  member->reset();
  EXPECT_FALSE(client_->Get(keys_.Broker("1"))->has_value());
}

TEST_F(MembershipTest, EveryJoinIsANewIncarnation) {
  int64_t first = 0;
  {
    auto member = Join("1", "h:1");
    ASSERT_TRUE(member.ok()) << member.status();
    first = (*member)->incarnation();
  }
  auto again = Join("1", "h:1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_GT((*again)->incarnation(), first);
}

TEST_F(MembershipTest, ALiveBrokerWithTheSameNodeIdIsNotDisplaced) {
  auto live = Join("1", "h:1");
  ASSERT_TRUE(live.ok()) << live.status();
  const absl::Time start = absl::Now();
  auto copy = Join("1", "h:2", absl::Seconds(3));
  EXPECT_EQ(copy.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(copy.status().message().find("h:1"), absl::string_view::npos)
      << copy.status();
  EXPECT_GE(absl::Now() - start, absl::Seconds(3));
  wire::BrokerRecord stored;
  ASSERT_TRUE(
      stored.ParseFromString((*client_->Get(keys_.Broker("1")))->value));
  EXPECT_EQ(stored.address(), "h:1");
}

TEST_F(MembershipTest, ARegistrationLeftByACrashIsWaitedOut) {
  // A previous run that died: its lease is no longer kept alive.
  absl::StatusOr<etcd::Lease> dead = client_->GrantLease(absl::Seconds(2));
  ASSERT_TRUE(dead.ok());
  ASSERT_TRUE(client_
                  ->Put(keys_.Broker("1"),
                        Record("1", "h:1").SerializeAsString(), dead->id)
                  .ok());
  auto member = Join("1", "h:1");
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_NE((*member)->lease_id(), dead->id);
}

}  // namespace
}  // namespace chorus::cluster
