// ClusterFixture: a fresh etcd (one member unless a test asks for more) and
// the chorusd brokers a test starts on it, all in cluster "it", with the
// waits that cluster tests share.
#ifndef CHORUS_TESTS_INTEGRATION_CLUSTER_FIXTURE_H_
#define CHORUS_TESTS_INTEGRATION_CLUSTER_FIXTURE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/integration/broker_process.h"
#include "tests/integration/etcd_process.h"

namespace chorus::testing {

class ClusterFixture : public ::testing::Test {
 protected:
  void SetUp() override { StartEtcd(1); }

  // Replaces the etcd with a fresh one of `members` members.
  void StartEtcd(int members);

  std::vector<std::string> ClusterFlags(const std::string& name = "it",
                                        const std::string& session = "2s");
  // A broker of cluster "it" (null, with a failure, if it cannot start).
  BrokerProcess* StartBroker(std::vector<std::string> extra = {},
                             const std::string& session = "2s");
  void StartBrokers(int count);

  static absl::StatusOr<ClusterInfo> Describe(const BrokerProcess& broker);
  // Waits until `broker`'s view of the cluster satisfies `done`; returns the
  // last view (with a failure when it timed out).
  static ClusterInfo WaitForView(
      const BrokerProcess& broker,
      const std::function<bool(const ClusterInfo&)>& done,
      absl::Duration timeout = absl::Seconds(15));
  static std::set<std::string> NodeIds(const ClusterInfo& view);
  static std::function<bool(const ClusterInfo&)> HasBrokersAndController(
      std::set<std::string> ids);
  // The broker whose node id is `id` in `view`, or null.
  BrokerProcess* ById(const ClusterInfo& view, const std::string& id);

  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<BrokerProcess>> brokers_;
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_INTEGRATION_CLUSTER_FIXTURE_H_
