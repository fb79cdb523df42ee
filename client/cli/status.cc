// chorus status: the current value of every key of a status topic, from a
// snapshot subscription; with --watch, each change as it happens.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/signals.h"
#include "common/sync.h"

namespace chorus::cli {
namespace {

constexpr std::string_view kStaleHeader = "chorus-stale";

struct Row {
  std::string value;
  int64_t timestamp_ms = 0;
  std::string stale;  // why, or empty while live
};

// Shared by the handler (I/O thread), the signal thread and the main thread.
struct StatusTable {
  std::mutex mu;
  std::condition_variable changed;
  std::map<std::string, Row> rows ABSL_GUARDED_BY(mu);
  uint32_t snapshots_done ABSL_GUARDED_BY(mu) = 0;
  bool signalled ABSL_GUARDED_BY(mu) = false;
  absl::Status error ABSL_GUARDED_BY(mu);
};

std::string State(const Row& row) {
  return row.stale.empty() ? "live" : absl::StrCat("stale (", row.stale, ")");
}

std::string Age(const Row& row, absl::Time now) {
  const absl::Duration age = std::max(
      absl::ZeroDuration(), now - absl::FromUnixMillis(row.timestamp_ms));
  return absl::FormatDuration(absl::Trunc(age, absl::Seconds(1)));
}

std::string FormatRow(const std::string& key, const Row& row, absl::Time now,
                      size_t key_width, size_t state_width) {
  std::string line = key;
  line.resize(std::max(line.size(), key_width) + 2, ' ');
  const std::string state = State(row);
  line += state;
  line.resize(
      line.size() + std::max(state.size(), state_width) - state.size() + 2,
      ' ');
  absl::StrAppend(&line, Age(row, now), "\t", row.value, "\n");
  return line;
}

std::string FormatTable(const std::map<std::string, Row>& rows) {
  size_t key_width = 3;
  size_t state_width = 5;
  for (const auto& [key, row] : rows) {
    key_width = std::max(key_width, key.size());
    state_width = std::max(state_width, State(row).size());
  }
  const absl::Time now = absl::Now();
  std::string out = "KEY";
  out.resize(key_width + 2, ' ');
  out += "STATE";
  out.resize(key_width + 2 + state_width + 2, ' ');
  out += "AGE\tVALUE\n";
  for (const auto& [key, row] : rows) {
    out += FormatRow(key, row, now, key_width, state_width);
  }
  return out;
}

}  // namespace

int RunStatus(Client& client, const StatusCommand& command) {
  absl::StatusOr<TopicInfo> topic = client.DescribeTopic(command.topic);
  if (!topic.ok()) {
    PrintError(absl::StrCat("status of ", command.topic, ": ",
                            topic.status().message()));
    return kExitFailure;
  }
  if (!topic->config.status) {
    PrintError(absl::StrCat("topic ", command.topic,
                            " is not a status topic (create it with "
                            "`chorus topics create NAME --status`)"));
    return kExitFailure;
  }
  const uint32_t partitions = topic->config.partitions;
  auto table = std::make_shared<StatusTable>();
  WatchTerminationSignals([table] {
    std::lock_guard<std::mutex> lock(table->mu);
    table->signalled = true;
    table->changed.notify_all();
  });

  SubscribeOptions options;
  options.start = StartPosition::Snapshot();
  options.on_snapshot_end = [table](std::string_view, uint32_t) {
    std::lock_guard<std::mutex> lock(table->mu);
    ++table->snapshots_done;
    table->changed.notify_all();
  };
  options.on_error = [table](absl::Status status) {
    std::lock_guard<std::mutex> lock(table->mu);
    if (table->error.ok()) table->error = std::move(status);
    table->changed.notify_all();
  };
  const bool watch = command.watch;
  auto handler = [table, partitions, watch](const ReceivedMessage& message) {
    Row row{.value = std::string(message.value),
            .timestamp_ms = message.timestamp_ms};
    for (const auto& [name, value] : message.headers) {
      if (name == kStaleHeader) row.stale = std::string(value);
    }
    std::string key(message.key);
    std::lock_guard<std::mutex> lock(table->mu);
    if (watch && table->snapshots_done == partitions) {
      PrintOut(FormatRow(key, row, absl::Now(), 0, 0));
      std::fflush(stdout);
    }
    table->rows[std::move(key)] = std::move(row);
  };
  absl::StatusOr<std::unique_ptr<Subscription>> subscription =
      client.Subscribe(command.topic, std::move(options), std::move(handler));
  if (!subscription.ok()) {
    PrintError(absl::StrCat("subscribe to ", command.topic, ": ",
                            subscription.status().message()));
    return kExitFailure;
  }

  std::unique_lock<std::mutex> lock(table->mu);
  table->changed.wait(lock, [&] {
    return table->snapshots_done == partitions || table->signalled ||
           !table->error.ok();
  });
  if (table->error.ok() && table->snapshots_done == partitions) {
    PrintOut(FormatTable(table->rows));
    std::fflush(stdout);
    if (watch) {
      table->changed.wait(
          lock, [&] { return table->signalled || !table->error.ok(); });
    }
  }
  const absl::Status error = table->error;
  lock.unlock();
  (void)(*subscription)->Unsubscribe();
  if (!error.ok()) {
    PrintError(
        absl::StrCat("status of ", command.topic, ": ", error.message()));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace chorus::cli
