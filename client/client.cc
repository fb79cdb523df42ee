// The non-virtual conveniences of chorus::Client, built on its virtual
// methods, and Client::Connect.
#include "client/client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "client/client_core.h"
#include "common/string_views.h"

namespace chorus {

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(std::string_view server,
                                                        ClientOptions options) {
  return client_internal::ConnectClient(server, std::move(options));
}

std::future<absl::StatusOr<PublishResult>> Client::Publish(
    std::string_view topic, Message message) {
  auto promise =
      std::make_shared<std::promise<absl::StatusOr<PublishResult>>>();
  std::future<absl::StatusOr<PublishResult>> result = promise->get_future();
  Publish(topic, std::move(message),
          [promise](absl::StatusOr<PublishResult> stored) {
            promise->set_value(std::move(stored));
          });
  return result;
}

absl::StatusOr<PublishResult> Client::PublishAndWait(std::string_view topic,
                                                     Message message) {
  if (OnCallbackThread()) {
    return absl::FailedPreconditionError(
        "PublishAndWait cannot wait on the client's I/O thread (called from "
        "a handler or callback)");
  }
  std::future<absl::StatusOr<PublishResult>> result =
      Publish(topic, std::move(message));
  const absl::Duration limit = WaitLimit();
  if (result.wait_for(absl::ToChronoNanoseconds(limit)) !=
      std::future_status::ready) {
    return absl::DeadlineExceededError(absl::StrCat(
        "publish to ", AsAbsl(topic), ": no acknowledgement within ",
        absl::FormatDuration(limit)));
  }
  return result.get();
}

}  // namespace chorus
