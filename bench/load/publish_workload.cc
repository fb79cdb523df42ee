// `publish`: P publishers, one topic, acks on; msgs/s at the last ack.
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load/chorus_clients.h"
#include "common/status_macros.h"

namespace chorus::bench {

absl::StatusOr<double> PublishAndTime(const BenchConfig& config,
                                      const std::string& topic) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < config.publishers; ++i) {
    CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
                            ConnectClient(config, config.linger));
    clients.push_back(std::move(client));
  }
  const uint64_t per_publisher = config.messages / config.publishers;
  ErrorLatch acks;
  std::vector<absl::Status> flushed(config.publishers);
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int p = 0; p < config.publishers; ++p) {
    threads.emplace_back([&, p] {
      PublishStamped(
          *clients[p], p * per_publisher, per_publisher, config,
          [&topic](uint64_t) { return std::string_view(topic); }, acks);
      flushed[p] = clients[p]->Flush();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& client : clients) client->Close();
  for (const absl::Status& status : flushed) CHORUS_RETURN_IF_ERROR(status);
  CHORUS_RETURN_IF_ERROR(
      acks.ExpectSucceeded(per_publisher * config.publishers));
  return seconds;
}

absl::StatusOr<BenchResult> RunPublish(const BenchConfig& config) {
  const std::string topic = RunTopic(config, "publish");
  {
    CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> admin,
                            ConnectClient(config, config.linger));
    CHORUS_RETURN_IF_ERROR(admin->CreateTopic(topic, {}).status());
  }
  CHORUS_ASSIGN_OR_RETURN(const double seconds, PublishAndTime(config, topic));
  const uint64_t messages =
      config.messages / config.publishers * config.publishers;
  BenchResult result;
  result.workload = "publish";
  result.description = absl::StrCat(
      config.publishers, " publisher(s) send ", messages, " messages of ",
      config.message_bytes, " B to one stored topic, acks on; linger ",
      absl::FormatDuration(config.linger), ", batches up to ",
      config.batch_bytes, " B, at most ", config.max_in_flight,
      " messages unacked per publisher");
  AddThroughput(messages, config.message_bytes, seconds, &result);
  return result;
}

}  // namespace chorus::bench
