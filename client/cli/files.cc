#include "client/cli/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/string_views.h"
#include "common/system_status.h"

namespace chorus::cli {
namespace {

absl::Status Errno(std::string_view path) {
  return StatusFromErrorCode(std::error_code(errno, std::generic_category()),
                             AsAbsl(path));
}

// mkdir -p with mode 0700 for the folders it creates.
absl::Status MakeFolders(const std::string& folder) {
  if (folder.empty() || ::mkdir(folder.c_str(), 0700) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  if (errno != ENOENT) return Errno(folder);
  const size_t slash = folder.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return Errno(folder);
  if (absl::Status parent = MakeFolders(folder.substr(0, slash));
      !parent.ok()) {
    return parent;
  }
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno(folder);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(path);
  std::string content;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 ||
         (n < 0 && errno == EINTR)) {
    if (n > 0) content.append(buffer, static_cast<size_t>(n));
  }
  const absl::Status status = n < 0 ? Errno(path) : absl::OkStatus();
  ::close(fd);
  if (!status.ok()) return status;
  return content;
}

absl::Status WritePrivateFile(const std::string& path,
                              std::string_view content) {
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (absl::Status made = MakeFolders(path.substr(0, slash)); !made.ok()) {
      return made;
    }
  }
  const std::string temporary = absl::StrCat(path, ".tmp");
  const int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(temporary);
  // O_CREAT's mode does not apply to a leftover temporary file.
  bool ok = ::fchmod(fd, 0600) == 0;
  for (size_t written = 0; ok && written < content.size();) {
    const ssize_t n =
        ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  absl::Status status = ok ? absl::OkStatus() : Errno(temporary);
  ::close(fd);
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = Errno(path);
  }
  if (!status.ok()) ::unlink(temporary.c_str());
  return status;
}

}  // namespace chorus::cli
