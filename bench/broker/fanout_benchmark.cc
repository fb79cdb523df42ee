// Fan-out of one stored batch to 1k subscribers on the real broker path:
// Partition::Append, the shard's group commit (RocksDB, fsync=never), then
// each subscriber's cursor and a sink that builds the delivery prefix as a
// session does. The shard's io_context is run by the benchmark thread.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "broker/partition.h"
#include "broker/shard.h"
#include "broker/subscription.h"
#include "broker/topic.h"
#include "proto/records.h"
#include "storage/partition_log.h"
#include "storage/store.h"

namespace chorus::broker {
namespace {

// Counts deliveries; builds each one's prefix as Session::Deliver does.
class CountingSink : public DeliverySink {
 public:
  bool HasRoom() const override { return true; }
  void Deliver(uint64_t subscription_id,
               std::shared_ptr<const DeliveryBatch> batch,
               uint32_t delivery_count) override {
    benchmark::DoNotOptimize(
        DeliveryPrefix(subscription_id, *batch, delivery_count));
    ++deliveries;
  }
  void SnapshotEnd(uint64_t, const std::string&, uint32_t) override {}
  void FailSubscription(uint64_t, const absl::Status&) override {}
  uint64_t deliveries = 0;
};

void BM_FanOutOneBatch(benchmark::State& state) {
  const int subscribers = state.range(0);
  const int records_per_batch = state.range(1);
  char folder[] = "/tmp/chorus-fanout-bench-XXXXXX";
  const std::string dir = mkdtemp(folder);
  {
    auto store = *storage::Store::Open(
        {.data_dir = dir, .fsync = storage::FsyncMode::kNever});
    Shard shard(0, store.get());
    auto topic = std::make_shared<Topic>();
    topic->name = "bench.fanout";
    topic->config.set_partitions(1);
    topic->partitions.push_back(std::make_shared<Partition>(
        topic->name, 0, &shard, *storage::PartitionLog::Open(store.get(), 1),
        storage::RetentionPolicy{}, /*status_topic=*/false));
    CountingSink sink;
    std::vector<std::shared_ptr<Subscription>> subscriptions;
    const auto filter = *TopicFilter::Parse(topic->name);
    for (int s = 0; s < subscribers; ++s) {
      subscriptions.push_back(std::make_shared<Subscription>(
          SubscriptionSpec{.id = static_cast<uint64_t>(s + 1),
                           .filter = filter,
                           .credit_messages = uint64_t{1} << 50,
                           .credit_bytes = uint64_t{1} << 50},
          &shard, &sink, /*dead_letters=*/nullptr));
      subscriptions.back()->AttachTopic(topic, /*newly_created=*/false);
    }
    shard.io_context().poll();

    std::string records;
    for (int i = 0; i < records_per_batch; ++i) {
      proto::AppendRecord("", std::string(128, 'x'), {}, &records);
    }
    Partition& partition = *topic->partitions[0];
    for (auto _ : state) {
      const uint64_t expected = sink.deliveries + subscribers;
      bool stored = false;
      partition.Append(records, records_per_batch, "bench", {},
                       [&stored](auto result) { stored = result.ok(); });
      while (sink.deliveries < expected) {
        shard.io_context().restart();
        if (shard.io_context().run_one() == 0) break;
      }
      if (!stored || sink.deliveries != expected) {
        state.SkipWithError("a delivery is missing");
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * subscribers);
    for (auto& subscription : subscriptions) subscription->Close();
    partition.Remove();
    shard.io_context().restart();
    shard.io_context().poll();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_FanOutOneBatch)->Args({1000, 1})->Args({1000, 100});

}  // namespace
}  // namespace chorus::broker

BENCHMARK_MAIN();
