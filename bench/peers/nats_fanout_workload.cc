// `fanout` on NATS core: 1 publisher, K subscribers, every message verified
// in order at every subscriber.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/peers/nats_clients.h"
#include "bench/peers/nats_workloads.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsFanout(const BenchConfig& config) {
  const std::string subject = RunTopic(config, "fanout");
  ArrivalTracker tracker(config.subscribers, config.messages, /*ordered=*/true);
  std::vector<NatsConnection> connections;
  std::vector<std::unique_ptr<TrackedSubscription>> subscriptions;
  for (int s = 0; s < config.subscribers; ++s) {
    CHORUS_ASSIGN_OR_RETURN(NatsConnection nc, ConnectNats(config));
    CHORUS_ASSIGN_OR_RETURN(
        std::unique_ptr<TrackedSubscription> subscription,
        TrackedSubscription::Core(nc.get(), subject, &tracker, s));
    connections.push_back(std::move(nc));
    subscriptions.push_back(std::move(subscription));
  }
  CHORUS_ASSIGN_OR_RETURN(NatsConnection publisher, ConnectNats(config));
  const absl::Time start = absl::Now();
  absl::Status published = PublishCore(
      publisher.get(), 0, config.messages, config,
      [&subject](uint64_t) -> const std::string& { return subject; });
  absl::Status delivered = tracker.Wait(start + config.max_time);
  subscriptions.clear();
  CHORUS_RETURN_IF_ERROR(published);
  CHORUS_RETURN_IF_ERROR(delivered);
  BenchResult result;
  result.workload = "fanout";
  result.description = absl::StrCat(
      "1 core NATS publisher sends ", config.messages, " messages of ",
      config.message_bytes, " B to one subject (nothing stored; write buffer ",
      config.batch_bytes, " B, PING/PONG every ", config.max_in_flight,
      " messages); ", config.subscribers,
      " subscribers (no client pending limit) each verify every message in "
      "order; msgs/s counts deliveries");
  AddThroughput(config.messages * config.subscribers, config.message_bytes,
                absl::ToDoubleSeconds(tracker.completed_at() - start), &result);
  return result;
}

}  // namespace chorus::bench
