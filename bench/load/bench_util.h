// Helpers shared by the workloads of chorus-bench and nats-bench, so that
// both sides build payloads, check deliveries, pace, and count memory the
// same way.
//
//   std::string payload = MakePayload(config.message_bytes);
//   StampPayload(sequence, NowNanos(), payload);       // publisher
//   Stamp stamp = ReadStamp(received_value);           // subscriber
//   tracker.Receive(subscriber_index, stamp.sequence);
//   CHORUS_RETURN_IF_ERROR(tracker.Wait(deadline));
//
// Thread-safety: ArrivalTracker and ErrorLatch are thread-safe as stated on
// each; the free functions are.
#ifndef CHORUS_BENCH_LOAD_BENCH_UTIL_H_
#define CHORUS_BENCH_LOAD_BENCH_UTIL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/load/workload.h"

namespace chorus::bench {

// Bytes at the start of every payload: sequence number and send time.
inline constexpr size_t kStampBytes = 16;

// A payload of `bytes` (at least kStampBytes) with a zero stamp.
std::string MakePayload(size_t bytes);

struct Stamp {
  uint64_t sequence = 0;
  int64_t sent_ns = 0;  // NowNanos() when it was published
};
// Writes `stamp` over the first kStampBytes of `payload`.
void StampPayload(Stamp stamp, std::string& payload);
// The stamp at the start of `payload`; zero if it is too short.
Stamp ReadStamp(std::string_view payload);

// CLOCK_MONOTONIC in nanoseconds: comparable between threads and between
// processes of this machine.
int64_t NowNanos();

// A topic name for one run of `workload`: "<config.topic>.<workload>.<us>".
std::string RunTopic(const BenchConfig& config, std::string_view workload);

// `count` topic names "<prefix>.t<i>".
std::vector<std::string> TopicNames(std::string_view prefix, uint64_t count);

// How many messages the latency workload sends: rate x duration;
// kInvalidArgument if that is 0.
absl::StatusOr<uint64_t> LatencyMessages(const BenchConfig& config);

// Fails unless `config` can run: payload room for the stamp, counts > 0.
absl::Status CheckConfig(const BenchConfig& config);

// Adds msgs_per_s and mb_per_s.
void AddThroughput(uint64_t messages, size_t message_bytes, double seconds,
                   BenchResult* result);
// Adds p50_us, p99_us, p999_us and max_us of `latencies_ns` (reordered).
void AddLatency(std::vector<int64_t>& latencies_ns, BenchResult* result);

// Calls publish(i) for i in [0, total) at `rate` per second, catching up in
// bursts when a sleep overshoots, until done or `deadline`:
// kDeadlineExceeded if not all were published by then.
absl::Status PublishPaced(uint64_t rate, uint64_t total, absl::Time deadline,
                          const std::function<void(uint64_t)>& publish);

// Resident memory of process `pid` (VmRSS of /proc/PID/status).
// kNotFound if there is no such process, kInternal if the line is missing.
absl::StatusOr<int64_t> ProcessRssBytes(int pid);

// Raises this process's soft RLIMIT_NOFILE to at least `wanted` (at most the
// hard limit). kResourceExhausted if the hard limit is lower.
absl::Status RaiseFileLimit(uint64_t wanted);

// Connects a blocking TCP socket to "HOST:PORT" (a "nats://" prefix is
// skipped). kUnavailable when that fails.
absl::StatusOr<int> ConnectTcp(std::string_view address);
// Writes all of `bytes` to `fd`; kUnavailable on error.
absl::Status WriteAll(int fd, std::string_view bytes);

// The connections workload of either side: records the broker's RSS
// (config.broker_pid), opens config.connections idle connections with
// `open_one` (each returns a socket), records the RSS again, then runs
// `publish_seconds` (config.messages messages, acked; it returns how long
// they took) while the connections stay open, and closes them. Metrics:
// bytes_per_connection (if broker_pid is set), msgs_per_s, mb_per_s.
absl::StatusOr<BenchResult> MeasureIdleConnections(
    const BenchConfig& config,
    const std::function<absl::StatusOr<int>()>& open_one,
    const std::function<absl::StatusOr<double>()>& publish_seconds);

// Counts the messages of `receivers` subscribers, each expecting `expected`
// distinct sequence numbers 0..expected-1. Ordered: each receiver must see
// them in order (one partition); unordered: any order, no duplicates (many
// topics). Receive is called by at most one thread per receiver at a time;
// Wait by any thread.
class ArrivalTracker {
 public:
  ArrivalTracker(int receivers, uint64_t expected, bool ordered);

  void Receive(int receiver, uint64_t sequence);
  // Waits until every receiver has every message, or `deadline`. kDataLoss
  // on a message out of order, duplicated or out of range, naming the first;
  // kDeadlineExceeded with the counts if messages are missing.
  absl::Status Wait(absl::Time deadline);
  // When the last receiver got its last message (after Wait returned OK).
  absl::Time completed_at() const;

 private:
  struct Receiver {
    uint64_t next = 0;                  // ordered: the sequence expected next
    std::atomic<uint64_t> received{0};  // distinct messages
    std::vector<bool> seen;             // unordered only
  };
  void Fail(std::string error);

  const uint64_t expected_;
  const bool ordered_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // complete_ or error_ changed
  int complete_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Time completed_at_ ABSL_GUARDED_BY(mutex_);
  std::string error_ ABSL_GUARDED_BY(mutex_);
};

// Counts completions and keeps the first error; thread-safe, lock-free on
// success.
class ErrorLatch {
 public:
  void Succeeded() { succeeded_.fetch_add(1, std::memory_order_relaxed); }
  void Failed(std::string error);
  uint64_t succeeded() const {
    return succeeded_.load(std::memory_order_relaxed);
  }
  // OK, or kDataLoss with how many failed and the first error.
  absl::Status status() const;
  // status(), and kDataLoss unless exactly `expected` succeeded.
  absl::Status ExpectSucceeded(uint64_t expected) const;

 private:
  std::atomic<uint64_t> succeeded_{0};
  mutable std::mutex mutex_;
  uint64_t failed_ ABSL_GUARDED_BY(mutex_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_LOAD_BENCH_UTIL_H_
