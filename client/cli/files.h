// Whole-file reads and private writes for the chorus tool's own files (the
// contexts file, token files).
//
//   absl::StatusOr<std::string> token = ReadFile("/home/me/.chorus/token");
//   absl::Status saved = WritePrivateFile(path, "{...}\n");
#ifndef CHORUS_CLIENT_CLI_FILES_H_
#define CHORUS_CLIENT_CLI_FILES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace chorus::cli {

// The file's bytes. kNotFound when it does not exist, kPermissionDenied
// when it cannot be read, each with "<path>: <reason>".
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Replaces `path` with `content`, readable and writable by its owner only
// (mode 0600): written to a temporary file beside it, synced, and renamed
// over it, so that a reader sees the old file or the new one, never a
// part. Missing folders are created with mode 0700. Errors name the path.
absl::Status WritePrivateFile(const std::string& path,
                              std::string_view content);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_FILES_H_
