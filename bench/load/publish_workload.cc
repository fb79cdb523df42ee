#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/load/workload.h"
#include "client/client.h"

namespace chorus::bench {

absl::StatusOr<BenchResult> RunPublish(const BenchConfig& config) {
  ClientOptions options;
  options.client_name = "chorus-bench";
  options.linger = config.linger;
  options.batch_max_bytes = config.batch_bytes;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < config.publishers; ++i) {
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(config.server, options);
    if (!client.ok()) return client.status();
    clients.push_back(*std::move(client));
  }
  const std::string topic =
      absl::StrCat(config.topic, ".publish.", absl::ToUnixMicros(absl::Now()));
  const std::string value(config.message_bytes, 'x');
  const uint64_t per_publisher = config.messages / config.publishers;

  std::mutex mutex;
  uint64_t acked = 0;
  uint64_t failed = 0;
  absl::Status first_error;
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + config.max_time;
  std::vector<std::thread> threads;
  for (int p = 0; p < config.publishers; ++p) {
    threads.emplace_back([&, p] {
      for (uint64_t i = 0; i < per_publisher && absl::Now() < deadline; ++i) {
        clients[p]->Publish(topic, Message{.value = value},
                            [&](absl::StatusOr<PublishResult> result) {
                              std::lock_guard<std::mutex> lock(mutex);
                              if (result.ok()) {
                                ++acked;
                              } else if (failed++ == 0) {
                                first_error = result.status();
                              }
                            });
      }
      (void)clients[p]->Flush();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& client : clients) client->Close();
  if (failed > 0) {
    return absl::DataLossError(absl::StrCat(
        failed, " publishes failed; first: ", first_error.ToString()));
  }
  BenchResult result;
  result.workload = "publish";
  result.messages = acked;
  result.seconds = seconds;
  result.messages_per_second = acked / seconds;
  result.megabytes_per_second =
      acked * static_cast<double>(config.message_bytes) / seconds / 1e6;
  result.description =
      absl::StrCat(config.publishers, " publisher(s), ", acked, " messages of ",
                   config.message_bytes, " B to one topic, acks on, linger ",
                   absl::FormatDuration(config.linger), ", batches up to ",
                   config.batch_bytes, " B");
  return result;
}

}  // namespace chorus::bench
