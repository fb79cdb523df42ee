#include "broker/topic_name.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace chorus::broker {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Checks length and token count shared by names and filters; `allow_wildcards`
// lets `*` and a final `>` through as whole tokens.
absl::Status ValidatePattern(absl::string_view text, absl::string_view what,
                             bool allow_wildcards) {
  if (text.empty())
    return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  if (text.size() > kMaxTopicBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " is ", text.size(), " bytes; the limit is ", kMaxTopicBytes));
  }
  std::vector<absl::string_view> tokens = absl::StrSplit(text, '.');
  if (tokens.size() > kMaxTopicTokens) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", text, "' has ", tokens.size(),
                     " tokens; the limit is ", kMaxTopicTokens));
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    absl::string_view token = tokens[i];
    if (token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", text, "' has an empty token"));
    }
    if (allow_wildcards && token == "*") continue;
    if (allow_wildcards && token == ">") {
      if (i + 1 != tokens.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, " '", text, "': '>' is allowed only as the last token"));
      }
      continue;
    }
    for (char c : token) {
      if (!IsTokenChar(c)) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, " '", text, "' has an illegal character '",
            absl::string_view(&c, 1),
            "'; tokens are letters, digits, '_' and '-'",
            allow_wildcards ? ", or the wildcards '*' and '>'" : ""));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTopicName(absl::string_view name) {
  return ValidatePattern(name, "topic name", /*allow_wildcards=*/false);
}

absl::StatusOr<TopicFilter> TopicFilter::Parse(absl::string_view filter) {
  absl::Status valid = ValidatePattern(filter, "filter", true);
  if (!valid.ok()) return valid;
  TopicFilter parsed;
  parsed.text_ = std::string(filter);
  parsed.tokens_ = absl::StrSplit(filter, '.');
  for (const std::string& token : parsed.tokens_) {
    if (token == "*" || token == ">") parsed.exact_ = false;
  }
  return parsed;
}

bool TopicFilter::Matches(absl::string_view topic) const {
  if (exact_) return topic == text_;
  size_t pos = 0;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (pos > topic.size()) return false;
    const std::string& token = tokens_[i];
    if (token == ">") return pos < topic.size();
    size_t end = topic.find('.', pos);
    if (end == absl::string_view::npos) end = topic.size();
    if (token != "*" && topic.substr(pos, end - pos) != token) return false;
    pos = end + 1;
  }
  return pos == topic.size() + 1;
}

}  // namespace chorus::broker
