#include "tests/integration/cluster_fixture.h"

#include <utility>

#include "absl/time/clock.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {

void ClusterFixture::StartEtcd(int members) {
  auto etcd = EtcdCluster::Start(members);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  etcd_ = *std::move(etcd);
}

std::vector<std::string> ClusterFixture::ClusterFlags(
    const std::string& name, const std::string& session) {
  return {"--etcd", etcd_->endpoints(),  "--cluster",
          name,     "--session-timeout", session};
}

BrokerProcess* ClusterFixture::StartBroker(std::vector<std::string> extra,
                                           const std::string& session) {
  std::vector<std::string> flags = ClusterFlags("it", session);
  flags.insert(flags.end(), extra.begin(), extra.end());
  auto broker = BrokerProcess::Start(flags);
  EXPECT_TRUE(broker.ok()) << broker.status();
  if (!broker.ok()) return nullptr;
  brokers_.push_back(*std::move(broker));
  return brokers_.back().get();
}

void ClusterFixture::StartBrokers(int count) {
  for (int i = 0; i < count; ++i) ASSERT_NE(StartBroker(), nullptr);
}

absl::StatusOr<ClusterInfo> ClusterFixture::Describe(
    const BrokerProcess& broker) {
  auto client = Client::Connect(broker.address(), Impatient());
  if (!client.ok()) return client.status();
  return (*client)->DescribeCluster();
}

ClusterInfo ClusterFixture::WaitForView(
    const BrokerProcess& broker,
    const std::function<bool(const ClusterInfo&)>& done,
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  ClusterInfo last;
  while (absl::Now() < deadline) {
    absl::StatusOr<ClusterInfo> view = Describe(broker);
    if (view.ok()) {
      last = *view;
      if (done(last)) return last;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  ADD_FAILURE() << "the view of " << broker.address()
                << " never got there; last: controller " << last.controller
                << ", " << last.brokers.size() << " brokers";
  return last;
}

std::set<std::string> ClusterFixture::NodeIds(const ClusterInfo& view) {
  std::set<std::string> ids;
  for (const BrokerInfo& broker : view.brokers) ids.insert(broker.node_id);
  return ids;
}

std::function<bool(const ClusterInfo&)> ClusterFixture::HasBrokersAndController(
    std::set<std::string> ids) {
  return [ids](const ClusterInfo& view) {
    return NodeIds(view) == ids && !view.controller.empty();
  };
}

BrokerProcess* ClusterFixture::ById(const ClusterInfo& view,
                                    const std::string& id) {
  for (const BrokerInfo& info : view.brokers) {
    if (info.node_id != id) continue;
    for (auto& broker : brokers_) {
      if (broker->address() == info.address) return broker.get();
    }
  }
  return nullptr;
}

}  // namespace chorus::testing
