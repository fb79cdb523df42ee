// Topic names and subscription filters (DESIGN.md "Model").
//
// A topic is dot-separated tokens of [A-Za-z0-9_-]+, at most 16 tokens and
// 255 bytes. A filter is a topic pattern where `*` stands for exactly one
// token and `>`, as the last token only, for one or more tokens.
//
//   CHORUS_RETURN_IF_ERROR(ValidateTopicName("acme.payments.status"));
//   CHORUS_ASSIGN_OR_RETURN(TopicFilter filter, TopicFilter::Parse("acme.>"));
//   filter.Matches("acme.payments.status");  // true
#ifndef CHORUS_BROKER_TOPIC_NAME_H_
#define CHORUS_BROKER_TOPIC_NAME_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace chorus::broker {

inline constexpr size_t kMaxTopicBytes = 255;
inline constexpr size_t kMaxTopicTokens = 16;

// OK, or kInvalidArgument naming what is wrong with `name`.
absl::Status ValidateTopicName(absl::string_view name);

// A parsed filter. Immutable and cheap to match; safe to share across threads.
class TopicFilter {
 public:
  // kInvalidArgument naming what is wrong with `filter`.
  static absl::StatusOr<TopicFilter> Parse(absl::string_view filter);

  // True if the (valid) topic `topic` matches.
  bool Matches(absl::string_view topic) const;

  // True when the filter has no wildcard, so it names exactly one topic.
  bool is_exact() const { return exact_; }
  const std::string& text() const { return text_; }

 private:
  TopicFilter() = default;

  std::string text_;
  std::vector<std::string> tokens_;
  bool exact_ = true;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_TOPIC_NAME_H_
