// `latency`: a fixed publish rate for a fixed time, 1 subscriber;
// publish-to-delivery percentiles from the send time in each payload.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load/chorus_clients.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunLatency(const BenchConfig& config) {
  const std::string topic = RunTopic(config, "latency");
  CHORUS_ASSIGN_OR_RETURN(const uint64_t total, LatencyMessages(config));
  // Linger 0: each message is sent as soon as the client's I/O thread is
  // free, as NATS does; a linger would only add itself to every latency.
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> publisher,
                          ConnectClient(config, absl::ZeroDuration()));
  CHORUS_RETURN_IF_ERROR(publisher->CreateTopic(topic, {}).status());
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> subscriber,
                          ConnectClient(config, config.linger));
  ArrivalTracker tracker(1, total, /*ordered=*/true);
  std::vector<int64_t> latencies(total);
  CHORUS_ASSIGN_OR_RETURN(
      std::unique_ptr<Subscription> subscription,
      subscriber->Subscribe(
          topic, SubscriberOptions(config, StartPosition::Latest()),
          [&](const ReceivedMessage& message) {
            const Stamp stamp = ReadStamp(message.value);
            if (stamp.sequence < total) {
              latencies[stamp.sequence] = NowNanos() - stamp.sent_ns;
            }
            tracker.Receive(0, stamp.sequence);
          }));
  ErrorLatch acks;
  std::string payload = MakePayload(config.message_bytes);
  const absl::Time deadline = absl::Now() + config.max_time;
  const absl::Status paced =
      PublishPaced(config.rate, total, deadline, [&](uint64_t i) {
        StampPayload({i, NowNanos()}, payload);
        publisher->Publish(topic, Message{.value = payload},
                           [&acks](absl::StatusOr<PublishResult> result) {
                             if (!result.ok()) {
                               acks.Failed(result.status().ToString());
                             }
                           });
      });
  absl::Status flushed = publisher->Flush();
  absl::Status delivered = tracker.Wait(deadline);
  subscription.reset();
  subscriber->Close();
  publisher->Close();
  CHORUS_RETURN_IF_ERROR(flushed);
  CHORUS_RETURN_IF_ERROR(acks.status());
  CHORUS_RETURN_IF_ERROR(paced);
  CHORUS_RETURN_IF_ERROR(delivered);
  BenchResult result;
  result.workload = "latency";
  result.description = absl::StrCat(
      "1 publisher sends ", config.rate, " msgs/s of ", config.message_bytes,
      " B for ", absl::FormatDuration(config.duration),
      " to one stored topic (acks on, linger 0); 1 subscriber; "
      "publish call to handler, in microseconds");
  AddLatency(latencies, &result);
  return result;
}

}  // namespace chorus::bench
