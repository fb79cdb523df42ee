// EtcdTest: a fixture with a fresh one-member etcd and a client of it, for
// the etcd client's tests.
#ifndef CHORUS_TESTS_BROKER_CLUSTER_ETCD_ETCD_TEST_FIXTURE_H_
#define CHORUS_TESTS_BROKER_CLUSTER_ETCD_ETCD_TEST_FIXTURE_H_

#include <memory>

#include "broker/cluster/etcd/etcd_client.h"
#include "gtest/gtest.h"
#include "tests/integration/etcd_process.h"

namespace chorus::etcd {

class EtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = chorus::testing::EtcdCluster::Start(1);
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    auto client = Client::Connect(etcd_->endpoints(),
                                  {.call_timeout = absl::Seconds(10)});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  std::unique_ptr<chorus::testing::EtcdCluster> etcd_;
  std::unique_ptr<Client> client_;
};

}  // namespace chorus::etcd

#endif  // CHORUS_TESTS_BROKER_CLUSTER_ETCD_ETCD_TEST_FIXTURE_H_
