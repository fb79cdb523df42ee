#include "client/cli/signals.h"

#include <pthread.h>
#include <signal.h>

#include <thread>
#include <utility>

namespace chorus::cli {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WatchTerminationSignals(std::function<void()> on_signal) {
  std::thread([on_signal = std::move(on_signal)] {
    const sigset_t set = TerminationSignals();
    int signal = 0;
    if (sigwait(&set, &signal) == 0) on_signal();
  }).detach();
}

}  // namespace chorus::cli
