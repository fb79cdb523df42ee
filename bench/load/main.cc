// chorus-bench: the end-to-end load tool.
//
//   chorus-bench --workload publish --messages 1000000 --message-bytes 128
//
// Prints one table row per run and, with --json FILE, writes the results.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "bench/load/workload.h"
#include "common/flag_names.h"

ABSL_FLAG(std::string, server, "127.0.0.1:7400", "broker HOST:PORT");
ABSL_FLAG(std::string, workload, "publish", "workload to run: publish");
ABSL_FLAG(uint64_t, messages, 1000000, "messages in all");
ABSL_FLAG(uint64_t, message_bytes, 128, "value bytes per message");
ABSL_FLAG(int, publishers, 1, "concurrent publishing clients");
ABSL_FLAG(absl::Duration, linger, absl::Milliseconds(1), "client linger");
ABSL_FLAG(uint64_t, batch_bytes, 256 * 1024, "client batch size");
ABSL_FLAG(absl::Duration, max_time, absl::Seconds(60), "stop after this long");
ABSL_FLAG(int, runs, 1, "repeat the workload; the median run is reported");
ABSL_FLAG(std::string, json, "", "write results as JSON to this file");

int main(int argc, char** argv) {
  chorus::DashedFlags flags(argc, argv);
  absl::ParseCommandLine(flags.argc(), flags.argv());
  chorus::bench::BenchConfig config;
  config.server = absl::GetFlag(FLAGS_server);
  config.messages = absl::GetFlag(FLAGS_messages);
  config.message_bytes = absl::GetFlag(FLAGS_message_bytes);
  config.publishers = std::max(1, absl::GetFlag(FLAGS_publishers));
  config.linger = absl::GetFlag(FLAGS_linger);
  config.batch_bytes = absl::GetFlag(FLAGS_batch_bytes);
  config.max_time = absl::GetFlag(FLAGS_max_time);
  if (absl::GetFlag(FLAGS_workload) != "publish") {
    std::fprintf(stderr, "chorus-bench: unknown workload '%s'\n",
                 absl::GetFlag(FLAGS_workload).c_str());
    return 2;
  }
  std::vector<chorus::bench::BenchResult> runs;
  std::printf("%-10s %12s %10s %14s %10s\n", "workload", "messages", "seconds",
              "msgs/s", "MB/s");
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_runs)); ++i) {
    absl::StatusOr<chorus::bench::BenchResult> result =
        chorus::bench::RunPublish(config);
    if (!result.ok()) {
      std::fprintf(stderr, "chorus-bench: %s\n",
                   std::string(result.status().message()).c_str());
      return 1;
    }
    std::printf("%-10s %12llu %10.3f %14.0f %10.1f\n", result->workload.c_str(),
                static_cast<unsigned long long>(result->messages),
                result->seconds, result->messages_per_second,
                result->megabytes_per_second);
    runs.push_back(*result);
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.messages_per_second < b.messages_per_second;
  });
  const chorus::bench::BenchResult& median = runs[runs.size() / 2];
  std::printf("median of %zu: %.0f msgs/s (%s)\n", runs.size(),
              median.messages_per_second, median.description.c_str());
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream out(path);
    out << absl::StrFormat(
        "{\"workload\":\"%s\",\"runs\":%d,\"median_msgs_per_s\":%.0f,"
        "\"median_mb_per_s\":%.2f,\"description\":\"%s\"}\n",
        median.workload, runs.size(), median.messages_per_second,
        median.megabytes_per_second, median.description);
  }
  return 0;
}
