// `replay`: preload N messages, then a new subscriber reads them all from
// `earliest`; msgs/s from the Subscribe call to the last message.
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load/chorus_clients.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunReplay(const BenchConfig& config) {
  const std::string topic = RunTopic(config, "replay");
  {
    CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> publisher,
                            ConnectClient(config, config.linger));
    CHORUS_RETURN_IF_ERROR(publisher->CreateTopic(topic, {}).status());
    ErrorLatch acks;
    PublishStamped(
        *publisher, 0, config.messages, config,
        [&topic](uint64_t) { return std::string_view(topic); }, acks);
    CHORUS_RETURN_IF_ERROR(publisher->Flush());
    CHORUS_RETURN_IF_ERROR(acks.status());
  }
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> reader,
                          ConnectClient(config, config.linger));
  ArrivalTracker tracker(1, config.messages, /*ordered=*/true);
  const absl::Time start = absl::Now();
  CHORUS_ASSIGN_OR_RETURN(
      std::unique_ptr<Subscription> subscription,
      reader->Subscribe(topic,
                        SubscriberOptions(config, StartPosition::Earliest()),
                        [&tracker](const ReceivedMessage& message) {
                          tracker.Receive(0, ReadStamp(message.value).sequence);
                        }));
  absl::Status delivered = tracker.Wait(start + config.max_time);
  subscription.reset();
  reader->Close();
  CHORUS_RETURN_IF_ERROR(delivered);
  BenchResult result;
  result.workload = "replay";
  result.description = absl::StrCat(
      config.messages, " messages of ", config.message_bytes,
      " B preloaded into one stored topic; a new subscriber (credit ",
      config.credit, " messages) reads them from earliest, in order");
  AddThroughput(config.messages, config.message_bytes,
                absl::ToDoubleSeconds(tracker.completed_at() - start), &result);
  return result;
}

}  // namespace chorus::bench
