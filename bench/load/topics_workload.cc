// `topics`: T topics made by publishing to them (auto-create), one wildcard
// subscriber that must get every message; msgs/s, and the broker's RSS
// growth per topic.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load/chorus_clients.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunTopics(const BenchConfig& config) {
  const std::string prefix = RunTopic(config, "topics");
  const uint64_t topics = std::min(config.topics, config.messages);
  const std::vector<std::string> names = TopicNames(prefix, topics);
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> subscriber,
                          ConnectClient(config, config.linger));
  ArrivalTracker tracker(1, config.messages, /*ordered=*/false);
  CHORUS_ASSIGN_OR_RETURN(
      std::unique_ptr<Subscription> subscription,
      subscriber->Subscribe(absl::StrCat(prefix, ".>"),
                            SubscriberOptions(config, StartPosition::Latest()),
                            [&tracker](const ReceivedMessage& message) {
                              tracker.Receive(
                                  0, ReadStamp(message.value).sequence);
                            }));
  CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> publisher,
                          ConnectClient(config, config.linger));
  int64_t rss_before = 0;
  if (config.broker_pid != 0) {
    CHORUS_ASSIGN_OR_RETURN(rss_before, ProcessRssBytes(config.broker_pid));
  }
  ErrorLatch acks;
  const absl::Time start = absl::Now();
  PublishStamped(
      *publisher, 0, config.messages, config,
      [&names](uint64_t i) {
        return std::string_view(names[i % names.size()]);
      },
      acks);
  absl::Status flushed = publisher->Flush();
  absl::Status delivered = tracker.Wait(start + config.max_time);
  BenchResult result;
  result.workload = "topics";
  result.description = absl::StrCat(
      "1 publisher sends ", config.messages, " messages of ",
      config.message_bytes, " B round-robin over ", topics,
      " new stored topics (auto-created; linger ",
      absl::FormatDuration(config.linger),
      "); 1 wildcard subscriber verifies every message; memory is the "
      "broker's RSS growth over the run per topic");
  if (flushed.ok() && delivered.ok()) {
    AddThroughput(config.messages, config.message_bytes,
                  absl::ToDoubleSeconds(tracker.completed_at() - start),
                  &result);
    if (config.broker_pid != 0) {
      CHORUS_ASSIGN_OR_RETURN(const int64_t rss_after,
                              ProcessRssBytes(config.broker_pid));
      result.Add("bytes_per_topic",
                 static_cast<double>(rss_after - rss_before) / topics);
    }
  }
  subscription.reset();
  subscriber->Close();
  publisher->Close();
  CHORUS_RETURN_IF_ERROR(flushed);
  CHORUS_RETURN_IF_ERROR(acks.status());
  CHORUS_RETURN_IF_ERROR(delivered);
  return result;
}

}  // namespace chorus::bench
