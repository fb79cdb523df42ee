#include "tests/integration/broker_process.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace chorus::testing {
namespace {

constexpr char kReadyPrefix[] = "chorusd listening on ";

}  // namespace

const char* ChorusdPath() { return CHORUSD_PATH; }
const char* ChorusCliPath() { return CHORUS_CLI_PATH; }

absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::Start(
    std::vector<std::string> flags) {
  auto broker = std::unique_ptr<BrokerProcess>(new BrokerProcess());
  std::string pattern =
      (std::filesystem::temp_directory_path() / "chorus-it-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  broker->root_ = pattern;
  broker->data_dir_ = pattern + "/data";
  broker->flags_ = std::move(flags);
  if (absl::Status launched = broker->Launch(); !launched.ok()) {
    return launched;
  }
  return broker;
}

BrokerProcess::~BrokerProcess() {
  process_.reset();
  // A sanitizer build of chorusd reports into its log; make that a failure
  // of the test that ran it.
  const std::string log = Log();
  if (absl::StrContains(log, "Sanitizer") ||
      absl::StrContains(log, "runtime error:")) {
    ADD_FAILURE() << "chorusd reported a sanitizer error:\n" << log;
  }
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

absl::Status BrokerProcess::Launch(const std::string& listen) {
  std::vector<std::string> argv = {ChorusdPath(), "--listen", listen,
                                   "--data-dir", data_dir_};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  Subprocess::Options options;
  options.stderr_path = root_ + "/chorusd.log";
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, options);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  absl::StatusOr<std::string> line = process_->ReadLine(absl::Seconds(20));
  if (!line.ok() || !absl::StartsWith(*line, kReadyPrefix)) {
    return absl::UnavailableError(absl::StrCat(
        "chorusd did not start: ", line.ok() ? *line : line.status().ToString(),
        "\nlog:\n", Log()));
  }
  address_ = line->substr(sizeof(kReadyPrefix) - 1);
  return absl::OkStatus();
}

size_t BrokerProcess::ResidentBytes() const {
  std::ifstream status(absl::StrCat("/proc/", pid(), "/status"));
  std::string line;
  while (std::getline(status, line)) {
    size_t kib = 0;
    if (absl::StartsWith(line, "VmRSS:") &&
        absl::SimpleAtoi(
            absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")),
            &kib)) {
      return kib * 1024;
    }
  }
  return 0;
}

size_t BrokerProcess::OpenSockets() const {
  size_t sockets = 0;
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid(), "/fd"), ec)) {
    std::error_code link_ec;
    const std::filesystem::path target =
        std::filesystem::read_symlink(fd.path(), link_ec);
    if (!link_ec && absl::StartsWith(target.string(), "socket:")) ++sockets;
  }
  return sockets;
}

std::string BrokerProcess::Log() const {
  std::ifstream in(root_ + "/chorusd.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<int> BrokerProcess::Stop() {
  process_->Signal(SIGTERM);
  return process_->Wait(absl::Seconds(20));
}

void BrokerProcess::Kill() {
  process_->Signal(SIGKILL);
  (void)process_->Wait(absl::Seconds(20));
}

absl::Status BrokerProcess::Restart() {
  if (process_) {
    absl::StatusOr<int> code = process_->Wait(absl::ZeroDuration());
    if (!code.ok()) return absl::FailedPreconditionError("broker still runs");
  }
  return Launch();
}

absl::Status BrokerProcess::RestartOnSamePort() {
  if (process_) {
    absl::StatusOr<int> code = process_->Wait(absl::ZeroDuration());
    if (!code.ok()) return absl::FailedPreconditionError("broker still runs");
  }
  const std::string address = address_;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (true) {
    absl::Status launched = Launch(address);
    // A client reconnecting to the port may hold it for an instant (a
    // loopback connect can pick the port it dials as its own).
    if (launched.ok() || absl::Now() >= deadline ||
        !absl::StrContains(Log(), "in use")) {
      return launched;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace chorus::testing
