// Subprocess: a child process for integration tests, with pipes to its
// standard input and output, read a line at a time with a deadline.
//
//   auto child = Subprocess::Start({"/bin/echo", "hi"});
//   absl::StatusOr<std::string> line = (*child)->ReadLine(absl::Seconds(5));
//   int code = (*child)->Wait(absl::Seconds(5)).value();
#ifndef CHORUS_TESTS_INTEGRATION_SUBPROCESS_H_
#define CHORUS_TESTS_INTEGRATION_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chorus::testing {

// The outcome of RunCommand.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion, feeding `input` on stdin.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& input,
                                         absl::Duration timeout);

// Not thread-safe; owned by one test thread. The destructor kills the child
// (SIGKILL) if it still runs and reaps it. The child also dies with the
// thread that started it (PR_SET_PDEATHSIG): start long-lived children from
// the test's own thread, not from one that ends first.
class Subprocess {
 public:
  struct Options {
    // Extra environment entries "NAME=VALUE" on top of the test's own,
    // replacing those of the same name.
    std::vector<std::string> env;
    // File that receives the child's stderr; empty: a pipe read by
    // ReadStderr.
    std::string stderr_path;
  };

  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv, Options options);
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv) {
    return Start(argv, Options{});
  }
  ~Subprocess();

  pid_t pid() const { return pid_; }

  absl::Status WriteStdin(const std::string& bytes);
  void CloseStdin();

  // The next line of stdout without its newline. kDeadlineExceeded when none
  // came in time, kOutOfRange at end of output.
  absl::StatusOr<std::string> ReadLine(absl::Duration timeout);
  // Everything left on stdout until EOF (or the deadline).
  std::string ReadAllStdout(absl::Duration timeout);
  // Everything the child wrote to its stderr pipe, until EOF or the
  // deadline.
  std::string ReadAllStderr(absl::Duration timeout);
  // Reads stderr until it contains `text`; false at EOF or the deadline.
  bool WaitForStderr(const std::string& text, absl::Duration timeout);

  void Signal(int signal);
  // Exit code (128 + signal for a signal death). kDeadlineExceeded if it did
  // not exit in time.
  absl::StatusOr<int> Wait(absl::Duration timeout);

 private:
  Subprocess() = default;
  // Waits (until the deadline) for bytes on `fd` and appends what one read
  // returns to `*buffer`; returns false at EOF.
  static bool Fill(int fd, std::string* buffer, absl::Time deadline);
  friend absl::StatusOr<CommandResult> RunCommand(
      const std::vector<std::string>& argv, const std::string& input,
      absl::Duration timeout);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_buffer_;
  bool stdout_eof_ = false;
  bool exited_ = false;
  int exit_code_ = 0;
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_INTEGRATION_SUBPROCESS_H_
