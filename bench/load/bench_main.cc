#include "bench/load/bench_main.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/load/bench_util.h"
#include "common/flag_names.h"
#include "common/string_views.h"

ABSL_FLAG(std::string, server, "",
          "broker address (chorus: HOST:PORT, default 127.0.0.1:7400; nats: "
          "nats://HOST:PORT, default nats://127.0.0.1:4222)");
ABSL_FLAG(std::string, workload, "publish",
          "publish | fanout | latency | replay | topics | connections");
ABSL_FLAG(std::string, topic, "bench", "first token of the topics used");
ABSL_FLAG(uint64_t, messages, 1000000, "messages in all");
ABSL_FLAG(uint64_t, message_bytes, 128, "value bytes per message (>= 16)");
ABSL_FLAG(int, publishers, 1, "publishing clients (publish)");
ABSL_FLAG(int, subscribers, 4, "subscribing clients (fanout)");
ABSL_FLAG(uint64_t, rate, 20000, "messages per second (latency)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "how long to publish (latency)");
ABSL_FLAG(uint64_t, topics, 10000, "topics (topics)");
ABSL_FLAG(uint64_t, connections, 5000, "idle connections (connections)");
ABSL_FLAG(absl::Duration, linger, absl::Milliseconds(1),
          "client linger before a batch is sent");
ABSL_FLAG(uint64_t, batch_bytes, 256 * 1024,
          "client batch size (nats: write buffer size)");
ABSL_FLAG(uint64_t, max_in_flight, 65536,
          "messages a publisher may have unacknowledged");
ABSL_FLAG(uint64_t, credit, 10000,
          "messages a subscriber lets the broker send ahead");
ABSL_FLAG(int, broker_pid, 0,
          "broker process id, for the memory figures of topics/connections");
ABSL_FLAG(absl::Duration, max_time, absl::Seconds(60),
          "a workload fails if not done after this long");
ABSL_FLAG(int, runs, 1, "repeat the workload; medians are reported");
ABSL_FLAG(std::string, json, "", "write the results as JSON to this file");

namespace chorus::bench {
namespace {

BenchConfig ConfigFromFlags(std::string_view tool) {
  BenchConfig config;
  config.server = absl::GetFlag(FLAGS_server);
  if (config.server.empty()) {
    config.server =
        tool == "nats-bench" ? "nats://127.0.0.1:4222" : "127.0.0.1:7400";
  }
  config.topic = absl::GetFlag(FLAGS_topic);
  config.messages = absl::GetFlag(FLAGS_messages);
  config.message_bytes = absl::GetFlag(FLAGS_message_bytes);
  config.publishers = absl::GetFlag(FLAGS_publishers);
  config.subscribers = absl::GetFlag(FLAGS_subscribers);
  config.rate = absl::GetFlag(FLAGS_rate);
  config.duration = absl::GetFlag(FLAGS_duration);
  config.topics = absl::GetFlag(FLAGS_topics);
  config.connections = absl::GetFlag(FLAGS_connections);
  config.linger = absl::GetFlag(FLAGS_linger);
  config.batch_bytes = absl::GetFlag(FLAGS_batch_bytes);
  config.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  config.credit = absl::GetFlag(FLAGS_credit);
  config.broker_pid = absl::GetFlag(FLAGS_broker_pid);
  config.max_time = absl::GetFlag(FLAGS_max_time);
  return config;
}

std::string FormatMetrics(
    const std::vector<std::pair<std::string, double>>& metrics) {
  return absl::StrJoin(metrics, "  ", [](std::string* out, const auto& m) {
    absl::StrAppendFormat(out, "%s=%.6g", m.first, m.second);
  });
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// {"tool":..,"workload":..,"runs":N,"description":..,
//  "median":{name:value...},"all":{name:[v1,...]...}}
std::string ToJson(std::string_view tool, const std::vector<BenchResult>& runs,
                   const std::vector<std::pair<std::string, double>>& median) {
  auto quoted = [](std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  std::string medians, all;
  for (size_t m = 0; m < median.size(); ++m) {
    absl::StrAppendFormat(&medians, "%s%s:%.6g", m ? "," : "",
                          quoted(median[m].first), median[m].second);
    absl::StrAppend(&all, m ? "," : "", quoted(median[m].first), ":[",
                    absl::StrJoin(runs, ",",
                                  [m](std::string* out, const BenchResult& r) {
                                    absl::StrAppendFormat(out, "%.6g",
                                                          r.metrics[m].second);
                                  }),
                    "]");
  }
  return absl::StrCat("{\"tool\":", quoted(tool),
                      ",\"workload\":", quoted(runs[0].workload),
                      ",\"runs\":", runs.size(),
                      ",\"description\":", quoted(runs[0].description),
                      ",\"median\":{", medians, "},\"all\":{", all, "}}\n");
}

}  // namespace

int BenchMain(int argc, char** argv, std::string_view tool,
              const std::vector<Workload>& workloads) {
  absl::SetProgramUsageMessage(
      absl::StrCat(AsAbsl(tool),
                   " --workload NAME [--server ADDRESS] [--messages N] ... "
                   "[--runs N] [--json FILE]"));
  RespelledFlags flags(argc, argv, '-', '_');
  absl::ParseCommandLine(flags.argc(), flags.argv());
  const BenchConfig config = ConfigFromFlags(tool);
  const std::string name = absl::GetFlag(FLAGS_workload);
  auto workload =
      std::find_if(workloads.begin(), workloads.end(),
                   [&](const Workload& w) { return w.name == name; });
  if (workload == workloads.end()) {
    std::fprintf(stderr, "%s: unknown workload '%s'\n",
                 std::string(tool).c_str(), name.c_str());
    return 2;
  }
  if (absl::Status valid = CheckConfig(config); !valid.ok()) {
    std::fprintf(stderr, "%s: %s\n", std::string(tool).c_str(),
                 std::string(valid.message()).c_str());
    return 2;
  }
  std::vector<BenchResult> runs;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_runs)); ++i) {
    absl::StatusOr<BenchResult> result = workload->run(config);
    if (!result.ok()) {
      std::fprintf(stderr, "%s: %s failed: %s\n", std::string(tool).c_str(),
                   name.c_str(), result.status().ToString().c_str());
      return 1;
    }
    if (runs.empty()) {
      std::printf("%s %s: %s\n", std::string(tool).c_str(), name.c_str(),
                  result->description.c_str());
    }
    std::printf("run %d  %s\n", i + 1, FormatMetrics(result->metrics).c_str());
    std::fflush(stdout);
    runs.push_back(*std::move(result));
  }
  std::vector<std::pair<std::string, double>> median;
  for (size_t m = 0; m < runs[0].metrics.size(); ++m) {
    std::vector<double> values;
    for (const BenchResult& run : runs) values.push_back(run.metrics[m].second);
    median.emplace_back(runs[0].metrics[m].first, Median(values));
  }
  std::printf("median of %zu  %s\n", runs.size(),
              FormatMetrics(median).c_str());
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    std::ofstream out(path);
    out << ToJson(tool, runs, median);
    if (!out) {
      std::fprintf(stderr, "%s: cannot write %s\n", std::string(tool).c_str(),
                   path.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace chorus::bench
