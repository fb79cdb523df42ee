#include "tests/integration/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace chorus::testing {
namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int MillisUntil(absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return ms < 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 1000));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv, Options options) {
  int in[2], out[2], err[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    return Errno("pipe");
  }
  if (options.stderr_path.empty() && pipe2(err, O_CLOEXEC) != 0) {
    return Errno("pipe");
  }
  // The options' entries replace the test's own of the same name (getenv
  // would find the first of two).
  std::vector<std::string> env_strings = options.env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry = *e;
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    if (std::none_of(
            options.env.begin(), options.env.end(),
            [&](const std::string& own) { return own.rfind(name, 0) == 0; })) {
      env_strings.emplace_back(entry);
    }
  }
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // Dies with the test: a test killed by its timeout or a crash must not
    // leave brokers or etcd members running (each etcd burns CPU for ever).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    if (options.stderr_path.empty()) {
      dup2(err[1], STDERR_FILENO);
    } else {
      const int fd = open(options.stderr_path.c_str(),
                          O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) dup2(fd, STDERR_FILENO);
    }
    // The test process may block signals; the child starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  auto child = std::unique_ptr<Subprocess>(new Subprocess());
  child->pid_ = pid;
  close(in[0]);
  close(out[1]);
  child->stdin_fd_ = in[1];
  child->stdout_fd_ = out[0];
  if (err[0] >= 0) {
    close(err[1]);
    child->stderr_fd_ = err[0];
  }
  return child;
}

Subprocess::~Subprocess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
    if (fd >= 0) close(fd);
  }
}

absl::Status Subprocess::WriteStdin(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        write(stdin_fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write to child");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

bool Subprocess::Fill(int fd, std::string* buffer, absl::Time deadline) {
  pollfd p{fd, POLLIN, 0};
  const int ready = poll(&p, 1, MillisUntil(deadline));
  if (ready <= 0) return true;
  char chunk[4096];
  const ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  buffer->append(chunk, static_cast<size_t>(n));
  return true;
}

absl::StatusOr<std::string> Subprocess::ReadLine(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const size_t newline = stdout_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, newline);
      stdout_buffer_.erase(0, newline + 1);
      return line;
    }
    if (stdout_eof_) {
      return absl::OutOfRangeError(
          absl::StrCat("end of output; partial: '", stdout_buffer_, "'"));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError("no line in time");
    }
    stdout_eof_ = !Fill(stdout_fd_, &stdout_buffer_, deadline);
  }
}

std::string Subprocess::ReadAllStdout(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!stdout_eof_ && absl::Now() < deadline) {
    stdout_eof_ = !Fill(stdout_fd_, &stdout_buffer_, deadline);
  }
  return std::move(stdout_buffer_);
}

std::string Subprocess::ReadAllStderr(absl::Duration timeout) {
  if (stderr_fd_ < 0) return "";
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline &&
         Fill(stderr_fd_, &stderr_buffer_, deadline)) {
  }
  return std::move(stderr_buffer_);
}

bool Subprocess::WaitForStderr(const std::string& text,
                               absl::Duration timeout) {
  if (stderr_fd_ < 0) return false;
  const absl::Time deadline = absl::Now() + timeout;
  while (stderr_buffer_.find(text) == std::string::npos) {
    if (absl::Now() >= deadline ||
        !Fill(stderr_fd_, &stderr_buffer_, deadline)) {
      return false;
    }
  }
  return true;
}

void Subprocess::Signal(int signal) {
  if (!exited_) kill(pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!exited_) {
    int status = 0;
    const pid_t got = waitpid(pid_, &status, WNOHANG);
    if (got == pid_) {
      exited_ = true;
      exit_code_ =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("process ", pid_, " still running"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return exit_code_;
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::string& input,
                                         absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> child = Subprocess::Start(argv);
  if (!child.ok()) return child.status();
  if (absl::Status wrote = (*child)->WriteStdin(input); !wrote.ok()) {
    return wrote;
  }
  (*child)->CloseStdin();
  CommandResult result;
  // Drain both pipes together so a chatty child never blocks on a full one.
  const absl::Time deadline = absl::Now() + timeout;
  Subprocess& c = **child;
  bool out_open = true;
  bool err_open = c.stderr_fd_ >= 0;
  while ((out_open || err_open) && absl::Now() < deadline) {
    pollfd fds[2] = {{out_open ? c.stdout_fd_ : -1, POLLIN, 0},
                     {err_open ? c.stderr_fd_ : -1, POLLIN, 0}};
    if (poll(fds, 2, MillisUntil(deadline)) <= 0) continue;
    const absl::Time now = absl::Now();
    if (fds[0].revents != 0)
      out_open = Subprocess::Fill(c.stdout_fd_, &result.out, now);
    if (fds[1].revents != 0)
      err_open = Subprocess::Fill(c.stderr_fd_, &result.err, now);
  }
  absl::StatusOr<int> code = c.Wait(deadline - absl::Now());
  if (!code.ok()) return code.status();
  result.exit_code = *code;
  return result;
}

}  // namespace chorus::testing
