// `fanout`: 1 publisher, K subscribers on one topic; every subscriber must
// get every message, in order. Delivered msgs/s (K x N) from the first
// publish to the last delivery.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load/chorus_clients.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunFanout(const BenchConfig& config) {
  const std::string topic = RunTopic(config, "fanout");
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> publisher,
                          ConnectClient(config, config.linger));
  CHORUS_RETURN_IF_ERROR(publisher->CreateTopic(topic, {}).status());
  ArrivalTracker tracker(config.subscribers, config.messages, /*ordered=*/true);
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  for (int s = 0; s < config.subscribers; ++s) {
    CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
                            ConnectClient(config, config.linger));
    CHORUS_ASSIGN_OR_RETURN(
        std::unique_ptr<Subscription> subscription,
        client->Subscribe(
            topic, SubscriberOptions(config, StartPosition::Latest()),
            [&tracker, s](const ReceivedMessage& message) {
              tracker.Receive(s, ReadStamp(message.value).sequence);
            }));
    clients.push_back(std::move(client));
    subscriptions.push_back(std::move(subscription));
  }
  ErrorLatch acks;
  const absl::Time start = absl::Now();
  PublishStamped(
      *publisher, 0, config.messages, config,
      [&topic](uint64_t) { return std::string_view(topic); }, acks);
  absl::Status flushed = publisher->Flush();
  absl::Status delivered = tracker.Wait(start + config.max_time);
  subscriptions.clear();
  for (auto& client : clients) client->Close();
  publisher->Close();
  CHORUS_RETURN_IF_ERROR(flushed);
  CHORUS_RETURN_IF_ERROR(acks.status());
  CHORUS_RETURN_IF_ERROR(delivered);
  BenchResult result;
  result.workload = "fanout";
  result.description = absl::StrCat(
      "1 publisher sends ", config.messages, " messages of ",
      config.message_bytes, " B to one stored topic (acks on, linger ",
      absl::FormatDuration(config.linger), ", batches up to ",
      config.batch_bytes, " B); ", config.subscribers, " subscribers (credit ",
      config.credit,
      " messages) each verify every message in order; msgs/s counts "
      "deliveries");
  AddThroughput(config.messages * config.subscribers, config.message_bytes,
                absl::ToDoubleSeconds(tracker.completed_at() - start), &result);
  return result;
}

}  // namespace chorus::bench
