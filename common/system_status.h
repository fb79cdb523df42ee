// Converts std::error_code (sockets, files, Asio) into absl::Status.
//
// The one place where system errors become Chorus statuses, so that every
// part reports a broken connection or a missing file with the same code:
//
//   if (ec) return chorus::StatusFromErrorCode(ec, "connect 127.0.0.1:7400");
#ifndef CHORUS_COMMON_SYSTEM_STATUS_H_
#define CHORUS_COMMON_SYSTEM_STATUS_H_

#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace chorus {

// Maps `ec` to a canonical code (connection errors and EOF to kUnavailable,
// timeouts to kDeadlineExceeded, missing files to kNotFound, permissions to
// kPermissionDenied, anything else to kInternal) with the message
// "<context>: <ec.message()>". Returns OK when `ec` is not set.
absl::Status StatusFromErrorCode(const std::error_code& ec,
                                 absl::string_view context);

}  // namespace chorus

#endif  // CHORUS_COMMON_SYSTEM_STATUS_H_
