// chorusd: the Chorus broker process.
//
//   chorusd --listen 127.0.0.1:7400 --data-dir ./data
//
// Every flag has a default that starts a working single node; `chorusd
// --help` lists them (broker/chorusd_flags.cc). A config file with the same
// keys is read with --flagfile=FILE (one --key=value a line).
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/chorusd_flags.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"

namespace {

using chorus::LogLevel;

// Each connection takes a descriptor, and the default soft limit (often
// 1024) is far below what a broker serves: raise it to the hard limit.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
      limit.rlim_cur >= limit.rlim_max) {
    return;
  }
  const rlim_t was = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    chorus::Log(LogLevel::kWarning, "server",
                absl::StrCat("cannot raise the open file limit from ", was));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<chorus::broker::ChorusdCommandLine> line =
      chorus::broker::ParseChorusdCommandLine(
          std::vector<std::string>(argv + 1, argv + argc));
  if (!line.ok()) {
    std::fprintf(stderr,
                 "chorusd: error: %s\nRun `chorusd --help` for its flags.\n",
                 std::string(line.status().message()).c_str());
    return 2;
  }
  if (line->action != chorus::broker::ChorusdCommandLine::Action::kServe) {
    std::fputs(line->text.c_str(), stdout);
    if (line->text.empty() || line->text.back() != '\n')
      std::fputc('\n', stdout);
    return 0;
  }
  if (line->verbose) chorus::SetMinLogLevel(LogLevel::kDebug);
  const chorus::broker::BrokerOptions& options = line->options;

  // Signals are taken synchronously by this thread; block them before any
  // other thread starts so none of those receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Protobuf logs an ERROR line for each string field that is not UTF-8.
  // The broker refuses such a frame with INVALID_ARGUMENT anyway; the line
  // would only let any client flood our log, one per frame.
  google::protobuf::SetLogHandler(nullptr);
  RaiseFileLimit();

  absl::StatusOr<std::unique_ptr<chorus::broker::Broker>> broker =
      chorus::broker::Broker::Start(options);
  if (!broker.ok()) {
    std::fprintf(stderr, "chorusd: cannot start: %s\n",
                 std::string(broker.status().message()).c_str());
    return 1;
  }
  std::printf("chorusd listening on %s\n", (*broker)->endpoint().c_str());
  std::fflush(stdout);
  chorus::Log(
      LogLevel::kInfo, "server",
      absl::StrCat(
          "serving ", options.store.data_dir, " with fsync=",
          std::string(chorus::storage::FsyncModeName(options.store.fsync))));

  int received = 0;
  sigwait(&signals, &received);
  chorus::Log(LogLevel::kInfo, "server",
              absl::StrCat("signal ", received, ": shutting down"));
  (*broker)->Shutdown();
  return 0;
}
