// Early-return helpers for absl::Status and absl::StatusOr<T>.
//
// Abseil 20220623 ships no RETURN_IF_ERROR / ASSIGN_OR_RETURN, so Chorus
// defines them once here:
//
//   absl::StatusOr<Topic> LoadTopic(absl::string_view name) {
//     CHORUS_RETURN_IF_ERROR(CheckName(name));
//     CHORUS_ASSIGN_OR_RETURN(std::string bytes, ReadMeta(name));
//     return ParseTopic(bytes);
//   }
#ifndef CHORUS_COMMON_STATUS_MACROS_H_
#define CHORUS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define CHORUS_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (absl::Status chorus_status_ = (expr); !chorus_status_.ok()) { \
      return chorus_status_;                                          \
    }                                                                 \
  } while (false)

#define CHORUS_STATUS_CONCAT_INNER_(a, b) a##b
#define CHORUS_STATUS_CONCAT_(a, b) CHORUS_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::StatusOr<T>); on error returns its status from the
// enclosing function, else move-assigns the value to `lhs`, which may be a
// declaration (`auto x`) or an existing variable.
#define CHORUS_ASSIGN_OR_RETURN(lhs, expr) \
  CHORUS_ASSIGN_OR_RETURN_IMPL_(           \
      CHORUS_STATUS_CONCAT_(chorus_statusor_, __LINE__), lhs, expr)

#define CHORUS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // CHORUS_COMMON_STATUS_MACROS_H_
