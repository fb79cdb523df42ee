#include "broker/topic_name.h"

#include <string>

#include "gtest/gtest.h"

namespace chorus::broker {
namespace {

TEST(TopicNameTest, AcceptsDotSeparatedTokens) {
  EXPECT_TRUE(ValidateTopicName("acme.payments.status").ok());
  EXPECT_TRUE(ValidateTopicName("a").ok());
  EXPECT_TRUE(ValidateTopicName("A-b_9.x").ok());
}

TEST(TopicNameTest, RejectsEmptyTokensAndIllegalCharacters) {
  for (const char* bad :
       {"", ".", "a.", ".a", "a..b", "a b", "a/b", "a.*", "a.>", "é"}) {
    absl::Status status = ValidateTopicName(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TopicNameTest, EnforcesLengthAndTokenLimits) {
  EXPECT_TRUE(ValidateTopicName(std::string(255, 'a')).ok());
  EXPECT_FALSE(ValidateTopicName(std::string(256, 'a')).ok());
  std::string sixteen = "t";
  for (int i = 1; i < 16; ++i) sixteen += ".t";
  EXPECT_TRUE(ValidateTopicName(sixteen).ok());
  EXPECT_FALSE(ValidateTopicName(sixteen + ".t").ok());
}

TEST(TopicFilterTest, ExactFilterMatchesOnlyItself) {
  auto filter = TopicFilter::Parse("acme.payments.status");
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->is_exact());
  EXPECT_TRUE(filter->Matches("acme.payments.status"));
  EXPECT_FALSE(filter->Matches("acme.payments"));
  EXPECT_FALSE(filter->Matches("acme.payments.status.x"));
}

TEST(TopicFilterTest, StarMatchesExactlyOneToken) {
  auto filter = TopicFilter::Parse("acme.*.status");
  ASSERT_TRUE(filter.ok());
  EXPECT_FALSE(filter->is_exact());
  EXPECT_TRUE(filter->Matches("acme.payments.status"));
  EXPECT_TRUE(filter->Matches("acme.x.status"));
  EXPECT_FALSE(filter->Matches("acme.status"));
  EXPECT_FALSE(filter->Matches("acme.a.b.status"));
  EXPECT_FALSE(filter->Matches("acme.a.statuses"));
}

TEST(TopicFilterTest, GreaterThanMatchesOneOrMoreTrailingTokens) {
  auto filter = TopicFilter::Parse("acme.>");
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->Matches("acme.a"));
  EXPECT_TRUE(filter->Matches("acme.a.b.c"));
  EXPECT_FALSE(filter->Matches("acme"));
  EXPECT_FALSE(filter->Matches("other.a"));
  EXPECT_FALSE(filter->Matches("acmex.a"));
}

TEST(TopicFilterTest, WildcardsCombine) {
  auto filter = TopicFilter::Parse("*.*.>");
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->Matches("a.b.c"));
  EXPECT_FALSE(filter->Matches("a.b"));
  auto single = TopicFilter::Parse(">");
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->Matches("a"));
  EXPECT_TRUE(single->Matches("a.b"));
}

TEST(TopicFilterTest, RejectsMisplacedOrPartialWildcards) {
  for (const char* bad : {"", "a.>.b", "a*", "a.b>", "a..b", ">.a", "a.**"}) {
    EXPECT_EQ(TopicFilter::Parse(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace chorus::broker
