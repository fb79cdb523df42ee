// DeadLetters: publishes messages that used up their deliveries to a
// dead-letter topic, where they stay for someone to look at.
//
// Any shard may call it; the topic is created (default config) if missing
// and the append runs on its partition's shard. A failure is logged: the
// message is then gone from its subscription but still in its own topic's
// log, where the warning says.
//
//   dead_letters.Publish("acme.orders.dead-letter", std::move(records), "svc");
#ifndef CHORUS_BROKER_DEAD_LETTERS_H_
#define CHORUS_BROKER_DEAD_LETTERS_H_

#include <string>

#include "broker/topic_registry.h"

namespace chorus::broker {

class DeadLetters {
 public:
  explicit DeadLetters(TopicRegistry* registry) : registry_(registry) {}

  // `records` holds one encoded record; `publisher` is its original
  // publisher's identity.
  void Publish(const std::string& topic, std::string records,
               std::string publisher);

 private:
  TopicRegistry* const registry_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_DEAD_LETTERS_H_
