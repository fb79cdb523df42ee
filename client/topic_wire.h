// Topic configuration and description between their client.h and wire forms.
//
//   wire::Frame frame;
//   TopicConfigToWire(config, frame.mutable_create_topic()->mutable_config());
//   ...
//   TopicInfo info = TopicInfoFromWire(response.topic_info());
#ifndef CHORUS_CLIENT_TOPIC_WIRE_H_
#define CHORUS_CLIENT_TOPIC_WIRE_H_

#include "client/client.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

void TopicConfigToWire(const TopicConfig& config, wire::TopicConfig* out);
TopicConfig TopicConfigFromWire(const wire::TopicConfig& config);
TopicInfo TopicInfoFromWire(const wire::TopicInfo& info);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_TOPIC_WIRE_H_
