// chorus pub: one message from the command line, or one per line of stdin.
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "common/string_views.h"
#include "common/sync.h"

namespace chorus::cli {
namespace {

// Completions of the asynchronous publishes, counted on the I/O thread.
struct PublishProgress {
  std::mutex mu;
  uint64_t acknowledged ABSL_GUARDED_BY(mu) = 0;
  absl::Status first_error ABSL_GUARDED_BY(mu);
};

Message MakeMessage(const PubCommand& command, std::string value,
                    uint64_t lease_id) {
  Message message;
  message.key = command.key;
  message.value = std::move(value);
  message.headers = command.headers;
  message.bind = command.bind;
  message.lease_id = lease_id;
  return message;
}

// Keeps a lease alive from its own thread, every third of its TTL, until
// destroyed.
class LeaseKeeper {
 public:
  LeaseKeeper(Client& client, uint64_t lease_id, absl::Duration ttl)
      : thread_([this, &client, lease_id, ttl] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!WaitFor(cv_, lock, ttl / 3, [this] { return stop_; })) {
            lock.unlock();
            (void)client.KeepAlive(lease_id);  // a lost lease shows as stale
            lock.lock();
          }
        }) {}
  ~LeaseKeeper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

const char* Messages(uint64_t n) { return n == 1 ? "message" : "messages"; }

int PublishOne(Client& client, const PubCommand& command, uint64_t lease_id) {
  absl::StatusOr<PublishResult> stored = client.PublishAndWait(
      command.topic, MakeMessage(command, *command.message, lease_id));
  if (!stored.ok()) {
    PrintError(absl::StrCat("publish to ", command.topic, ": ",
                            stored.status().message()));
    return kExitFailure;
  }
  std::fprintf(stderr,
               "published 1 message to %s (partition %u, offset %llu)\n",
               command.topic.c_str(), stored->partition,
               static_cast<unsigned long long>(stored->offset));
  return kExitOk;
}

}  // namespace

int RunPub(Client& client, const PubCommand& command) {
  uint64_t lease_id = 0;
  std::optional<LeaseKeeper> keeper;
  if (command.lease_ttl.has_value()) {
    absl::StatusOr<uint64_t> lease = client.GrantLease(*command.lease_ttl);
    if (!lease.ok()) {
      PrintError(absl::StrCat("grant lease: ", lease.status().message()));
      return kExitFailure;
    }
    lease_id = *lease;
    keeper.emplace(client, lease_id, *command.lease_ttl);
  }
  if (command.message.has_value()) {
    return PublishOne(client, command, lease_id);
  }

  auto progress = std::make_shared<PublishProgress>();
  uint64_t published = 0;
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  while ((length = ::getline(&line, &capacity, stdin)) >= 0) {
    if (length > 0 && line[length - 1] == '\n') --length;
    {
      std::lock_guard<std::mutex> lock(progress->mu);
      if (!progress->first_error.ok()) break;  // no point sending more
    }
    client.Publish(command.topic,
                   MakeMessage(command, std::string(line, length), lease_id),
                   [progress](absl::StatusOr<PublishResult> stored) {
                     std::lock_guard<std::mutex> lock(progress->mu);
                     if (stored.ok()) {
                       ++progress->acknowledged;
                     } else if (progress->first_error.ok()) {
                       progress->first_error = stored.status();
                     }
                   });
    ++published;
  }
  const int read_errno = std::ferror(stdin) ? errno : 0;
  std::free(line);
  const absl::Status flushed = client.Flush();

  std::lock_guard<std::mutex> lock(progress->mu);
  std::string error;
  if (!progress->first_error.ok()) {
    error = absl::StrCat("publish to ", command.topic, ": ",
                         progress->first_error.message());
  } else if (read_errno != 0) {
    error = absl::StrCat("read standard input: ", std::strerror(read_errno));
  } else if (!flushed.ok()) {
    error = absl::StrCat("publish to ", command.topic, ": ", flushed.message());
  } else if (progress->acknowledged != published) {
    error = absl::StrCat("publish to ", command.topic, ": only ",
                         progress->acknowledged, " of ", published,
                         " messages were acknowledged");
  }
  if (!error.empty()) {
    PrintError(error);
    return kExitFailure;
  }
  std::fprintf(stderr, "published %llu %s to %s\n",
               static_cast<unsigned long long>(published), Messages(published),
               command.topic.c_str());
  return kExitOk;
}

}  // namespace chorus::cli
