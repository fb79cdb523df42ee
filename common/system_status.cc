#include "common/system_status.h"

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace chorus {
namespace {

absl::StatusCode CodeFor(const std::error_code& ec) {
  if (ec.category() != std::generic_category() &&
      ec.category() != std::system_category()) {
    // Library categories (Asio's misc errors: eof, not_found...) describe a
    // peer or stream that went away.
    return absl::StatusCode::kUnavailable;
  }
  switch (ec.value()) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENOTCONN:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ESHUTDOWN:
      return absl::StatusCode::kUnavailable;
    case ETIMEDOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case ENOENT:
      return absl::StatusCode::kNotFound;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    case EADDRINUSE:
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case ECANCELED:
      return absl::StatusCode::kCancelled;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status StatusFromErrorCode(const std::error_code& ec,
                                 absl::string_view context) {
  if (!ec) return absl::OkStatus();
  return absl::Status(CodeFor(ec), absl::StrCat(context, ": ", ec.message()));
}

}  // namespace chorus
