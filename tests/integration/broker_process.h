// BrokerProcess: a real chorusd started by a test on a free loopback port,
// with its data in a temporary folder that outlives restarts.
//
//   auto broker = BrokerProcess::Start();          // waits until it listens
//   auto client = chorus::Client::Connect((*broker)->address());
//   (*broker)->Kill();                             // SIGKILL
//   ASSERT_TRUE((*broker)->Restart().ok());        // same data, new port
//   ASSERT_TRUE((*broker)->RestartOnSamePort().ok());  // clients reconnect
#ifndef CHORUS_TESTS_INTEGRATION_BROKER_PROCESS_H_
#define CHORUS_TESTS_INTEGRATION_BROKER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/integration/subprocess.h"

namespace chorus::testing {

// Paths of the binaries under test, set by CMake.
const char* ChorusdPath();
const char* ChorusCliPath();

class BrokerProcess {
 public:
  // Starts chorusd with `flags` (on top of --listen 127.0.0.1:0 and a fresh
  // --data-dir) and waits for its "listening on" line.
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> Start(
      std::vector<std::string> flags = {});
  // Kills the broker if it runs and removes its folder.
  ~BrokerProcess();

  // "127.0.0.1:PORT" of the running broker.
  const std::string& address() const { return address_; }
  const std::string& data_dir() const { return data_dir_; }
  // The running broker's process id.
  pid_t pid() const { return process_->pid(); }
  // Its resident memory (VmRSS) in bytes; 0 if it cannot be read.
  size_t ResidentBytes() const;
  // How many sockets it holds open (listener and connections).
  size_t OpenSockets() const;
  // The broker's stderr so far (its log).
  std::string Log() const;

  // SIGTERM, then its exit code.
  absl::StatusOr<int> Stop();
  // SIGKILL: a crash.
  void Kill();
  // Starts again on the same data dir (a new port).
  absl::Status Restart();
  // Starts again on the same data dir and port, so that clients find it
  // where it was. Retries for a few seconds while the port is still taken.
  absl::Status RestartOnSamePort();

 private:
  BrokerProcess() = default;
  absl::Status Launch(const std::string& listen = "127.0.0.1:0");

  std::vector<std::string> flags_;
  std::string root_;
  std::string data_dir_;
  std::string address_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_INTEGRATION_BROKER_PROCESS_H_
