// Session handlers for topics in a cluster. Only the controller creates and
// deletes topics there, so these hand the request to TopicAdmin and answer
// once this broker's registry shows the outcome; a publish to a topic that
// does not exist yet waits for it (auto-create), with the publishes behind
// it; and a publish to a partition another broker leads is refused with a
// redirect to that broker.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/session.h"
#include "proto/wire_status.h"

namespace chorus::broker {
namespace {

// The config of an auto-created topic.
wire::TopicConfig DefaultConfig() {
  wire::TopicConfig config;
  // The defaults are valid by construction.
  TopicRegistry::NormalizeConfig(&config).IgnoreError();
  return config;
}

}  // namespace

void Session::AwaitTopicAdmin(
    absl::AnyInvocable<void(TopicAdmin::Done)> call,
    absl::AnyInvocable<void(const std::shared_ptr<Session>&, absl::Status)>
        done) {
  ++pending_admin_replies_;
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  call([self = shared_from_this(), shared_done](absl::Status status) {
    asio::post(self->shard_->executor(), [self, shared_done, status] {
      --self->pending_admin_replies_;
      (*shared_done)(self, status);
    });
  });
}

void Session::CreateClusterTopic(uint64_t correlation_id,
                                 const wire::CreateTopic& create) {
  if (absl::Status valid = ValidateTopicName(create.name()); !valid.ok()) {
    return ReplyError(correlation_id, valid);
  }
  wire::TopicConfig config = create.config();
  if (absl::Status valid = TopicRegistry::NormalizeConfig(&config);
      !valid.ok()) {
    return ReplyError(correlation_id, valid);
  }
  AskToCreate(
      create.name(), std::move(config),
      [correlation_id, name = create.name()](
          const std::shared_ptr<Session>& self, absl::Status status) {
        if (!status.ok()) return self->ReplyError(correlation_id, status);
        std::shared_ptr<Topic> topic = self->context_.registry->Find(name);
        if (!topic) {
          return self->ReplyError(
              correlation_id,
              absl::AbortedError(absl::StrCat(
                  "topic ", name, " was deleted as soon as it was created")));
        }
        self->DescribeInto(std::move(topic), correlation_id);
      });
}

void Session::DeleteClusterTopic(uint64_t correlation_id,
                                 const std::string& name) {
  AwaitTopicAdmin(
      [admin = context_.topic_admin, name](TopicAdmin::Done done) {
        admin->DeleteTopic(name, std::move(done));
      },
      [correlation_id](const std::shared_ptr<Session>& self,
                       absl::Status status) {
        if (!status.ok()) return self->ReplyError(correlation_id, status);
        wire::Frame reply;
        reply.mutable_ok();
        self->Reply(correlation_id, reply);
      });
}

bool Session::CreatesClusterTopic(const absl::Status& missing) const {
  return context_.topic_admin != nullptr &&
         context_.options->auto_create_topics && absl::IsNotFound(missing);
}

void Session::Park(uint64_t correlation_id, wire::Publish publish, bool first) {
  ++pending_publishes_;
  in_flight_publish_bytes_ += publish.records().size();
  if (first) {
    parked_.push_front({correlation_id, std::move(publish)});
  } else {
    parked_.push_back({correlation_id, std::move(publish)});
  }
}

void Session::ParkForTopic(uint64_t correlation_id, wire::Publish publish) {
  std::string name = publish.topic();
  // It goes first: it came before every publish parked behind it.
  Park(correlation_id, std::move(publish), /*first=*/true);
  awaiting_topic_ = true;
  AskToCreate(std::move(name), DefaultConfig(),
              [](const std::shared_ptr<Session>& self, absl::Status status) {
                self->ResumeParked(std::move(status));
              });
}

void Session::AskToCreate(
    std::string name, wire::TopicConfig config,
    absl::AnyInvocable<void(const std::shared_ptr<Session>&, absl::Status)>
        done) {
  AwaitTopicAdmin(
      [admin = context_.topic_admin, name = std::move(name),
       config = std::move(config)](TopicAdmin::Done created) mutable {
        admin->CreateTopic(name, std::move(config), std::move(created));
      },
      std::move(done));
}

void Session::ResumeParked(absl::Status created) {
  awaiting_topic_ = false;
  bool first = true;
  while (!awaiting_topic_ && !parked_.empty()) {
    ParkedPublish next = std::move(parked_.front());
    parked_.pop_front();
    --pending_publishes_;
    in_flight_publish_bytes_ -= next.publish.records().size();
    if (reader_waiting_) reader_wake_.cancel();
    if (first && !created.ok() && !absl::IsAlreadyExists(created)) {
      ReplyError(next.correlation_id, created);
    } else {
      // The topic it waited for is not asked for twice.
      PublishNow(next.correlation_id, next.publish, /*may_create=*/!first);
    }
    first = false;
  }
}

void Session::CreateMetadataTopics(uint64_t correlation_id,
                                   wire::Metadata request,
                                   std::vector<std::string> missing) {
  auto remaining = std::make_shared<size_t>(missing.size());
  auto shared_request = std::make_shared<wire::Metadata>(std::move(request));
  for (std::string& name : missing) {
    AskToCreate(std::move(name), DefaultConfig(),
                [correlation_id, remaining, shared_request](
                    const std::shared_ptr<Session>& self, absl::Status) {
                  // A topic that could not be created is reported as missing.
                  if (--*remaining > 0) return;
                  self->HandleMetadata(correlation_id, *shared_request,
                                       /*created=*/true);
                });
  }
}

absl::Status Session::NotLeader(const Topic& topic, uint32_t partition) const {
  wire::Redirect redirect;
  if (partition < topic.placement.size()) {
    const wire::PartitionMetadata& placed = topic.placement[partition];
    redirect.set_node_id(placed.leader());
    redirect.set_leader_epoch(placed.leader_epoch());
    if (context_.cluster != nullptr) {
      redirect.set_address(context_.cluster->AddressOf(placed.leader()));
    }
  }
  return proto::RedirectError(
      absl::StrCat("partition ", topic.name, "/", partition,
                   " is led by broker ", redirect.node_id(),
                   redirect.address().empty()
                       ? " (not reachable now)"
                       : absl::StrCat(" at ", redirect.address()),
                   ", not by this one"),
      redirect);
}

}  // namespace chorus::broker
