#include "proto/wire_status.h"

#include "gtest/gtest.h"

namespace chorus::proto {
namespace {

TEST(WireStatusTest, CodeAndMessageSurviveTheRoundTrip) {
  wire::Status wire;
  StatusToWire(absl::NotFoundError("topic t does not exist"), &wire);
  const absl::Status back = StatusFromWire(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(back.message(), "topic t does not exist");
  EXPECT_FALSE(RedirectOf(back).has_value());
  EXPECT_FALSE(wire.has_redirect());
}

TEST(WireStatusTest, ARedirectRidesAlongBothWays) {
  wire::Redirect redirect;
  redirect.set_node_id("3");
  redirect.set_address("127.0.0.1:7401");
  redirect.set_leader_epoch(9);
  wire::Status wire;
  StatusToWire(RedirectError("partition t/1 is led by broker 3", redirect),
               &wire);
  EXPECT_EQ(wire.code(), wire::FAILED_PRECONDITION);
  ASSERT_TRUE(wire.has_redirect());
  EXPECT_EQ(wire.redirect().address(), "127.0.0.1:7401");

  const absl::Status back = StatusFromWire(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(back.message(), "partition t/1 is led by broker 3");
  std::optional<wire::Redirect> read = RedirectOf(back);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->node_id(), "3");
  EXPECT_EQ(read->address(), "127.0.0.1:7401");
  EXPECT_EQ(read->leader_epoch(), 9u);
}

TEST(WireStatusTest, AnUnknownCodeBecomesUnknown) {
  wire::Status wire;
  wire.set_code(static_cast<wire::Code>(99));
  wire.set_message("from a newer peer");
  EXPECT_EQ(StatusFromWire(wire).code(), absl::StatusCode::kUnknown);
}

}  // namespace
}  // namespace chorus::proto
