// `replay` on NATS: preload a JetStream file stream, then read it all with
// an ordered consumer.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/peers/nats_clients.h"
#include "bench/peers/nats_workloads.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsReplay(const BenchConfig& config) {
  const std::string subject = RunTopic(config, "replay");
  CHORUS_ASSIGN_OR_RETURN(NatsConnection nc, ConnectNats(config));
  jsCtx* raw = nullptr;
  CHORUS_RETURN_IF_ERROR(
      FromNats(natsConnection_JetStream(&raw, nc.get(), nullptr), "js"));
  JetStream js(raw);
  CHORUS_RETURN_IF_ERROR(CreateStream(config, subject));
  BenchConfig preload = config;
  preload.publishers = 1;
  CHORUS_RETURN_IF_ERROR(JetStreamPublishAndTime(preload, subject).status());
  ArrivalTracker tracker(1, config.messages, /*ordered=*/true);
  const absl::Time start = absl::Now();
  CHORUS_ASSIGN_OR_RETURN(
      std::unique_ptr<TrackedSubscription> subscription,
      TrackedSubscription::ReplayAll(js.get(), subject, &tracker));
  absl::Status delivered = tracker.Wait(start + config.max_time);
  subscription.reset();
  CHORUS_RETURN_IF_ERROR(delivered);
  BenchResult result;
  result.workload = "replay";
  result.description = absl::StrCat(
      config.messages, " messages of ", config.message_bytes,
      " B preloaded into one JetStream file stream; a new ordered push "
      "consumer (flow control, no acks) reads them from the first, in order");
  AddThroughput(config.messages, config.message_bytes,
                absl::ToDoubleSeconds(tracker.completed_at() - start), &result);
  return result;
}

}  // namespace chorus::bench
