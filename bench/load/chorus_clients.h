// What chorus-bench's workloads share on the Chorus side: clients made from
// a BenchConfig, stamped publishing, subscriber options, and a bare
// connection that only says Hello (an idle client for the connections
// workload, without a client library thread per connection).
//
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
//                           ConnectClient(config, config.linger));
//   ErrorLatch acks;
//   PublishStamped(*client, topic, 0, config.messages, config, acks);
//   CHORUS_RETURN_IF_ERROR(client->Flush());
//
// Thread-safety: as chorus::Client; functions keep no state.
#ifndef CHORUS_BENCH_LOAD_CHORUS_CLIENTS_H_
#define CHORUS_BENCH_LOAD_CHORUS_CLIENTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/load/bench_util.h"
#include "bench/load/workload.h"
#include "client/client.h"

namespace chorus::bench {

// A client with config's batching, `linger`, and an in-flight cap of
// config.max_in_flight messages of config.message_bytes.
absl::StatusOr<std::unique_ptr<Client>> ConnectClient(const BenchConfig& config,
                                                      absl::Duration linger);

// Publishes sequences [first, first + count) (message i goes to
// topic_of(i)), stamped with the sequence and the time of the call; each
// ack or error goes to `acks`.
void PublishStamped(Client& client, uint64_t first, uint64_t count,
                    const BenchConfig& config,
                    const std::function<std::string_view(uint64_t)>& topic_of,
                    ErrorLatch& acks);

// The timed part of the publish workload (publish_workload.cc):
// config.publishers clients publish config.messages to `topic`, which must
// exist; returns the seconds from the first publish to the last ack.
// kDataLoss if any publish failed.
absl::StatusOr<double> PublishAndTime(const BenchConfig& config,
                                      const std::string& topic);

// config.credit messages (and as many bytes as they take) from `start`.
SubscribeOptions SubscriberOptions(const BenchConfig& config,
                                   StartPosition start);

// Connects to config.server and completes Hello/Welcome; returns the
// socket, which the caller closes. kUnavailable when the connection or the
// handshake fails.
absl::StatusOr<int> OpenIdleConnection(const BenchConfig& config);

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_LOAD_CHORUS_CLIENTS_H_
