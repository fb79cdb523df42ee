#include "bench/load/bench_util.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/string_views.h"
#include "common/sync.h"

namespace chorus::bench {
namespace {

void PutU64(uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

uint64_t GetU64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i]))
             << (8 * i);
  }
  return value;
}

}  // namespace

std::string MakePayload(size_t bytes) {
  return std::string(std::max(bytes, kStampBytes), 'x');
}

void StampPayload(Stamp stamp, std::string& payload) {
  PutU64(stamp.sequence, payload.data());
  PutU64(static_cast<uint64_t>(stamp.sent_ns), payload.data() + 8);
}

Stamp ReadStamp(std::string_view payload) {
  if (payload.size() < kStampBytes) return {};
  return {GetU64(payload.data()),
          static_cast<int64_t>(GetU64(payload.data() + 8))};
}

int64_t NowNanos() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

std::string RunTopic(const BenchConfig& config, std::string_view workload) {
  return absl::StrCat(config.topic, ".", AsAbsl(workload), ".",
                      absl::ToUnixMicros(absl::Now()));
}

std::vector<std::string> TopicNames(std::string_view prefix, uint64_t count) {
  std::vector<std::string> names;
  names.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    names.push_back(absl::StrCat(AsAbsl(prefix), ".t", i));
  }
  return names;
}

absl::StatusOr<uint64_t> LatencyMessages(const BenchConfig& config) {
  const auto total =
      static_cast<uint64_t>(static_cast<double>(config.rate) *
                            absl::ToDoubleSeconds(config.duration));
  if (total == 0) return absl::InvalidArgumentError("--rate x --duration is 0");
  return total;
}

absl::Status CheckConfig(const BenchConfig& config) {
  if (config.message_bytes < kStampBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--message-bytes must be at least ", kStampBytes));
  }
  if (config.messages == 0 || config.rate == 0 || config.topics == 0 ||
      config.publishers < 1 || config.subscribers < 1 ||
      config.max_in_flight == 0 || config.credit == 0) {
    return absl::InvalidArgumentError(
        "--messages, --rate, --topics, --publishers, --subscribers, "
        "--max-in-flight and --credit must be positive");
  }
  return absl::OkStatus();
}

void AddThroughput(uint64_t messages, size_t message_bytes, double seconds,
                   BenchResult* result) {
  result->Add("msgs_per_s", messages / seconds);
  result->Add("mb_per_s",
              messages * static_cast<double>(message_bytes) / seconds / 1e6);
}

void AddLatency(std::vector<int64_t>& latencies_ns, BenchResult* result) {
  auto at = [&](double quantile) -> double {
    if (latencies_ns.empty()) return 0;
    const size_t index =
        std::min(latencies_ns.size() - 1,
                 static_cast<size_t>(quantile *
                                     static_cast<double>(latencies_ns.size())));
    std::nth_element(latencies_ns.begin(), latencies_ns.begin() + index,
                     latencies_ns.end());
    return latencies_ns[index] / 1e3;
  };
  result->Add("p50_us", at(0.5));
  result->Add("p99_us", at(0.99));
  result->Add("p999_us", at(0.999));
  result->Add("max_us", at(1.0));
}

absl::Status PublishPaced(uint64_t rate, uint64_t total, absl::Time deadline,
                          const std::function<void(uint64_t)>& publish) {
  const int64_t start = NowNanos();
  const double ns_per_message = 1e9 / static_cast<double>(rate);
  uint64_t sent = 0;
  while (sent < total && absl::Now() < deadline) {
    const auto due = static_cast<uint64_t>(
        static_cast<double>(NowNanos() - start) / ns_per_message + 1);
    for (; sent < std::min(due, total); ++sent) publish(sent);
    const int64_t next =
        start +
        static_cast<int64_t>(static_cast<double>(sent) * ns_per_message);
    const int64_t wait = next - NowNanos();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
  }
  if (sent == total) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("published ", sent, " of ", total, " in time"));
}

absl::StatusOr<int64_t> ProcessRssBytes(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return absl::NotFoundError(absl::StrCat("no process ", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("VmRSS:")) continue;
    std::string_view rest = std::string_view(line).substr(6);
    rest.remove_suffix(rest.ends_with(" kB") ? 3 : 0);
    int64_t kib = 0;
    if (absl::SimpleAtoi(AsAbsl(rest), &kib)) return kib * 1024;
  }
  return absl::InternalError(absl::StrCat("no VmRSS for process ", pid));
}

absl::Status RaiseFileLimit(uint64_t wanted) {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(std::strerror(errno));
  }
  if (limit.rlim_cur >= wanted) return absl::OkStatus();
  if (limit.rlim_max < wanted) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "open file limit is ", limit.rlim_max, "; ", wanted, " needed"));
  }
  limit.rlim_cur = wanted;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return absl::InternalError(std::strerror(errno));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ConnectTcp(std::string_view address) {
  if (address.starts_with("nats://")) address.remove_prefix(7);
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("address wants HOST:PORT, not ", AsAbsl(address)));
  }
  const std::string host(address.substr(0, colon));
  const std::string port(address.substr(colon + 1));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found)) {
    return absl::UnavailableError(
        absl::StrCat("resolve ", AsAbsl(address), ": ", gai_strerror(error)));
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    const int error = errno;
    if (fd >= 0) close(fd);
    freeaddrinfo(found);
    return absl::UnavailableError(
        absl::StrCat("connect ", AsAbsl(address), ": ", std::strerror(error)));
  }
  freeaddrinfo(found);
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  return fd;
}

absl::Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(std::strerror(errno));
    bytes.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<BenchResult> MeasureIdleConnections(
    const BenchConfig& config,
    const std::function<absl::StatusOr<int>()>& open_one,
    const std::function<absl::StatusOr<double>()>& publish_seconds) {
  if (absl::Status raised = RaiseFileLimit(config.connections + 256);
      !raised.ok()) {
    return raised;
  }
  int64_t rss_before = 0;
  if (config.broker_pid != 0) {
    absl::StatusOr<int64_t> rss = ProcessRssBytes(config.broker_pid);
    if (!rss.ok()) return rss.status();
    rss_before = *rss;
  }
  std::vector<int> fds;
  auto close_all = [&fds] {
    for (int fd : fds) close(fd);
  };
  const absl::Time deadline = absl::Now() + config.max_time;
  for (uint64_t i = 0; i < config.connections; ++i) {
    absl::StatusOr<int> fd = open_one();
    if (!fd.ok() || absl::Now() > deadline) {
      close_all();
      return fd.ok() ? absl::DeadlineExceededError(absl::StrCat(
                           "only ", i, " connections opened in time"))
                     : fd.status();
    }
    fds.push_back(*fd);
  }
  BenchResult result;
  result.workload = "connections";
  if (config.broker_pid != 0) {
    absl::StatusOr<int64_t> rss = ProcessRssBytes(config.broker_pid);
    if (!rss.ok()) {
      close_all();
      return rss.status();
    }
    result.Add("bytes_per_connection",
               static_cast<double>(*rss - rss_before) /
                   static_cast<double>(std::max<uint64_t>(1, fds.size())));
  }
  absl::StatusOr<double> seconds = publish_seconds();
  close_all();
  if (!seconds.ok()) return seconds.status();
  AddThroughput(config.messages, config.message_bytes, *seconds, &result);
  return result;
}

ArrivalTracker::ArrivalTracker(int receivers, uint64_t expected, bool ordered)
    : expected_(expected), ordered_(ordered) {
  for (int i = 0; i < receivers; ++i) {
    receivers_.push_back(std::make_unique<Receiver>());
    if (!ordered) receivers_.back()->seen.resize(expected);
  }
}

void ArrivalTracker::Receive(int receiver, uint64_t sequence) {
  Receiver& r = *receivers_[receiver];
  if (sequence >= expected_) {
    return Fail(absl::StrCat("subscriber ", receiver, " got sequence ",
                             sequence, " of ", expected_));
  }
  if (ordered_) {
    if (sequence != r.next) {
      return Fail(absl::StrCat("subscriber ", receiver, " got sequence ",
                               sequence, " where ", r.next, " was due"));
    }
    r.next = sequence + 1;
  } else {
    if (r.seen[sequence]) {
      return Fail(absl::StrCat("subscriber ", receiver, " got sequence ",
                               sequence, " twice"));
    }
    r.seen[sequence] = true;
  }
  if (++r.received == expected_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++complete_;
    completed_at_ = absl::Now();
    changed_.notify_all();
  }
}

void ArrivalTracker::Fail(std::string error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_.empty()) error_ = std::move(error);
  changed_.notify_all();
}

absl::Status ArrivalTracker::Wait(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  WaitUntil(changed_, lock, deadline, [this] {
    return !error_.empty() || complete_ == static_cast<int>(receivers_.size());
  });
  if (!error_.empty()) return absl::DataLossError(error_);
  if (complete_ == static_cast<int>(receivers_.size())) {
    return absl::OkStatus();
  }
  std::string counts;
  for (size_t i = 0; i < receivers_.size(); ++i) {
    absl::StrAppend(&counts, i == 0 ? "" : ", ",
                    receivers_[i]->received.load());
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "subscribers got ", counts, " of ", expected_, " messages in time"));
}

absl::Time ArrivalTracker::completed_at() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return completed_at_;
}

void ErrorLatch::Failed(std::string error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failed_++ == 0) first_error_ = std::move(error);
}

absl::Status ErrorLatch::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failed_ == 0) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(failed_, " failed; first: ", first_error_));
}

absl::Status ErrorLatch::ExpectSucceeded(uint64_t expected) const {
  if (absl::Status failed = status(); !failed.ok()) return failed;
  if (succeeded() == expected) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(succeeded(), " acks for ", expected, " publishes"));
}

}  // namespace chorus::bench
