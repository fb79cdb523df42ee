// chorus sub: prints the messages of a subscription, one per line.
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/json.h"
#include "client/cli/signals.h"
#include "common/string_views.h"
#include "common/sync.h"

namespace chorus::cli {
namespace {

// Shared by the handler (I/O thread), the signal thread (which may outlive
// RunSub) and the waiting main thread.
struct SubProgress {
  std::mutex mu;
  std::condition_variable done;  // notified when Done() may have changed
  uint64_t received ABSL_GUARDED_BY(mu) = 0;
  absl::Time last_activity ABSL_GUARDED_BY(mu) = absl::Now();
  // --count reached, or stdout closed.
  bool finished ABSL_GUARDED_BY(mu) = false;
  bool signalled ABSL_GUARDED_BY(mu) = false;
  absl::Status error ABSL_GUARDED_BY(mu);

  bool Done() const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    return finished || signalled || !error.ok();
  }
};

// The subscription, for the handler to ack through once Subscribe returned;
// acks of messages handled before are kept and sent when it is set.
class SubscriptionSlot {
 public:
  void Set(Subscription* subscription) {
    std::lock_guard<std::mutex> lock(mu_);
    subscription_ = subscription;
    if (subscription_ == nullptr) return;
    for (const Early& early : early_) {
      ReceivedMessage message;
      message.topic = early.topic;
      message.partition = early.partition;
      message.offset = early.offset;
      (void)subscription_->Ack(message);
    }
    early_.clear();
  }
  void Ack(const ReceivedMessage& message) {
    std::lock_guard<std::mutex> lock(mu_);
    if (subscription_ != nullptr) {
      (void)subscription_->Ack(message);
    } else {
      early_.push_back(
          {std::string(message.topic), message.partition, message.offset});
    }
  }

 private:
  struct Early {
    std::string topic;
    uint32_t partition;
    uint64_t offset;
  };
  std::mutex mu_;
  Subscription* subscription_ = nullptr;
  std::vector<Early> early_;
};

// Writes and flushes one line, so that a reader of a pipe sees it at once.
// Returns 0 or the errno of the failure.
int WriteLine(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() ||
      std::fflush(stdout) != 0) {
    return errno != 0 ? errno : EIO;
  }
  return 0;
}

}  // namespace

int RunSub(Client& client, const SubCommand& command) {
  auto progress = std::make_shared<SubProgress>();
  WatchTerminationSignals([progress] {
    std::lock_guard<std::mutex> lock(progress->mu);
    progress->signalled = true;
    progress->done.notify_all();
  });

  SubscribeOptions options = command.options;
  options.start = command.start;
  options.on_error = [progress](absl::Status status) {
    std::lock_guard<std::mutex> lock(progress->mu);
    if (progress->error.ok()) progress->error = std::move(status);
    progress->done.notify_all();
  };
  const SubCommand::Format format = command.format;
  const std::optional<uint64_t> count = command.count;
  const bool ack = options.ack == AckMode::kExplicit;
  // Set once subscribed; the handler acks through it (it may run before
  // Subscribe returns, when `subscription` is still empty: those messages
  // are acked right after).
  auto subscription_slot = std::make_shared<SubscriptionSlot>();
  auto handler = [progress, format, count, ack,
                  subscription_slot](const ReceivedMessage& message) {
    {
      std::lock_guard<std::mutex> lock(progress->mu);
      if (progress->finished) return;  // past --count: left unacked
    }
    std::string line = format == SubCommand::Format::kJson
                           ? MessageToJson(message)
                           : std::string(message.value);
    line.push_back('\n');
    const int write_errno = WriteLine(line);
    if (ack && write_errno == 0) subscription_slot->Ack(message);
    std::lock_guard<std::mutex> lock(progress->mu);
    ++progress->received;
    progress->last_activity = absl::Now();
    if (count.has_value() && progress->received >= *count) {
      progress->finished = true;
    }
    if (write_errno != 0) {
      // A closed pipe (`chorus sub ... | head -3`) is a normal end.
      progress->finished = true;
      if (write_errno != EPIPE && progress->error.ok()) {
        progress->error = absl::InternalError(absl::StrCat(
            "write to standard output: ", std::strerror(write_errno)));
      }
    }
    progress->done.notify_all();
  };

  absl::StatusOr<std::unique_ptr<Subscription>> subscription =
      client.Subscribe(command.filter, std::move(options), std::move(handler));
  if (!subscription.ok()) {
    PrintError(absl::StrCat("subscribe to ", command.filter, ": ",
                            subscription.status().message()));
    return kExitFailure;
  }
  subscription_slot->Set(subscription->get());
  std::fprintf(stderr, "chorus: subscribed to %s\n", command.filter.c_str());

  {
    std::unique_lock<std::mutex> lock(progress->mu);
    // The timeout counts from the subscription's start or its last message.
    progress->last_activity = std::max(progress->last_activity, absl::Now());
    auto done = [&progress] { return progress->Done(); };
    if (command.timeout.has_value()) {
      while (!progress->Done()) {
        const absl::Time deadline = progress->last_activity + *command.timeout;
        if (absl::Now() >= deadline) break;
        WaitUntil(progress->done, lock, deadline, done);
      }
    } else {
      progress->done.wait(lock, done);
    }
  }
  subscription_slot->Set(nullptr);
  if (ack) {
    // The positions the acks move must be stored before the command ends.
    if (absl::Status flushed = (*subscription)->FlushAcks(); !flushed.ok()) {
      std::lock_guard<std::mutex> lock(progress->mu);
      if (progress->error.ok()) progress->error = flushed;
    }
  }
  // The process ends next; a failed unsubscribe changes nothing for it, and
  // Close ends the subscription regardless.
  (void)(*subscription)->Unsubscribe();
  client.Close();

  std::lock_guard<std::mutex> lock(progress->mu);
  if (!progress->error.ok()) {
    PrintError(AsStd(progress->error.message()));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace chorus::cli
