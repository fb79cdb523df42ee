// One-line event logging for Chorus processes.
//
// Each call writes a single line to stderr: time, level, component, message.
// Thread-safe (one write(2) per line, so lines from different threads never
// interleave). Not for per-message hot paths.
//
//   chorus::Log(chorus::LogLevel::kInfo, "server",
//               absl::StrCat("listening on ", endpoint));
#ifndef CHORUS_COMMON_LOG_H_
#define CHORUS_COMMON_LOG_H_

#include "absl/strings/string_view.h"

namespace chorus {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below this level are dropped. Default: kInfo.
void SetMinLogLevel(LogLevel level);

void Log(LogLevel level, absl::string_view component,
         absl::string_view message);

}  // namespace chorus

#endif  // CHORUS_COMMON_LOG_H_
