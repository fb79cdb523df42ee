// `latency` on NATS core: a fixed publish rate, 1 subscriber, percentiles
// from the send time in each payload.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/peers/nats_clients.h"
#include "bench/peers/nats_workloads.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunNatsLatency(const BenchConfig& config) {
  const std::string subject = RunTopic(config, "latency");
  CHORUS_ASSIGN_OR_RETURN(const uint64_t total, LatencyMessages(config));
  ArrivalTracker tracker(1, total, /*ordered=*/true);
  std::vector<int64_t> latencies(total);
  CHORUS_ASSIGN_OR_RETURN(NatsConnection subscriber, ConnectNats(config));
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<TrackedSubscription> subscription,
                          TrackedSubscription::Core(subscriber.get(), subject,
                                                    &tracker, 0, &latencies));
  CHORUS_ASSIGN_OR_RETURN(NatsConnection publisher,
                          ConnectNats(config, /*send_asap=*/true));
  std::string payload = MakePayload(config.message_bytes);
  absl::Status published;
  const absl::Time deadline = absl::Now() + config.max_time;
  const absl::Status paced =
      PublishPaced(config.rate, total, deadline, [&](uint64_t i) {
        StampPayload({i, NowNanos()}, payload);
        natsStatus s = natsConnection_Publish(publisher.get(), subject.c_str(),
                                              payload.data(),
                                              static_cast<int>(payload.size()));
        if (published.ok()) published = FromNats(s, "publish");
      });
  if (published.ok()) {
    published = FromNats(natsConnection_Flush(publisher.get()), "flush");
  }
  absl::Status delivered = tracker.Wait(deadline);
  subscription.reset();
  CHORUS_RETURN_IF_ERROR(published);
  CHORUS_RETURN_IF_ERROR(paced);
  CHORUS_RETURN_IF_ERROR(delivered);
  BenchResult result;
  result.workload = "latency";
  result.description = absl::StrCat(
      "1 core NATS publisher sends ", config.rate, " msgs/s of ",
      config.message_bytes, " B for ", absl::FormatDuration(config.duration),
      " to one subject (nothing stored; send asap, no flusher delay); "
      "1 subscriber; publish call to "
      "handler, in microseconds");
  AddLatency(latencies, &result);
  return result;
}

}  // namespace chorus::bench
