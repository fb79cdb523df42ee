// What nats-bench's workloads share on the NATS side, built on the official
// C client (libnats): connections made from a BenchConfig, JetStream streams
// and async publishing with acks, core publishing, subscriptions that feed
// an ArrivalTracker, and a bare connection that only says CONNECT/PING.
//
//   CHORUS_ASSIGN_OR_RETURN(NatsConnection nc, ConnectNats(config));
//   CHORUS_ASSIGN_OR_RETURN(auto sub, SubscribeTracked(nc.get(), subject,
//                                                      &tracker, 0));
//   CHORUS_RETURN_IF_ERROR(PublishCore(nc.get(), 0, n, config, subject_of));
//
// The same client-side settings as chorus-bench, where NATS has them: the
// write buffer is config.batch_bytes; JetStream async publishes keep at most
// config.max_in_flight unacknowledged; a core publisher flushes (PING/PONG)
// every config.max_in_flight messages.
//
// Thread-safety: as libnats; message handlers run on libnats threads (one
// per subscription), so each tracker receiver is fed by one thread.
#ifndef CHORUS_BENCH_PEERS_NATS_CLIENTS_H_
#define CHORUS_BENCH_PEERS_NATS_CLIENTS_H_

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench/load/bench_util.h"
#include "bench/load/workload.h"

namespace chorus::bench {

struct NatsDeleter {
  void operator()(natsConnection* c) const { natsConnection_Destroy(c); }
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using NatsConnection = std::unique_ptr<natsConnection, NatsDeleter>;
using JetStream = std::unique_ptr<jsCtx, NatsDeleter>;

// kUnavailable naming `what`, the status text and libnats' last error;
// OK for NATS_OK.
absl::Status FromNats(natsStatus status, std::string_view what);

// A connection to config.server with a config.batch_bytes write buffer and
// no reconnects. `send_asap`: every publish is written at once instead of
// by libnats' flusher thread (the latency workload, where chorus-bench
// uses linger 0).
absl::StatusOr<NatsConnection> ConnectNats(const BenchConfig& config,
                                           bool send_asap = false);

// Connects and creates a file-storage stream "BENCH_<subject, _ for .>"
// over `subject`.
absl::Status CreateStream(const BenchConfig& config,
                          const std::string& subject);

// A subscription whose messages (stamped payloads) go to
// tracker->Receive(receiver, ...), and their latency (now minus the stamp's
// send time) to (*latencies)[sequence] when `latencies` is given.
// Unsubscribes when destroyed.
class TrackedSubscription {
 public:
  // Core NATS subscription to `subject` (wildcards allowed), with no
  // client-side pending limit so that libnats drops nothing.
  static absl::StatusOr<std::unique_ptr<TrackedSubscription>> Core(
      natsConnection* nc, const std::string& subject, ArrivalTracker* tracker,
      int receiver, std::vector<int64_t>* latencies = nullptr);
  // JetStream ordered push consumer of `subject` from the first message
  // (flow control, no acks): the fastest way libnats reads a stream.
  static absl::StatusOr<std::unique_ptr<TrackedSubscription>> ReplayAll(
      jsCtx* js, const std::string& subject, ArrivalTracker* tracker);

  ~TrackedSubscription();

 private:
  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                        void* closure);

  ArrivalTracker* tracker_ = nullptr;
  int receiver_ = 0;
  std::vector<int64_t>* latencies_ = nullptr;
  natsSubscription* subscription_ = nullptr;
};

// Publishes sequences [first, first + count), stamped, with core NATS
// (message i to subject_of(i)), flushing every config.max_in_flight
// messages and at the end.
absl::Status PublishCore(
    natsConnection* nc, uint64_t first, uint64_t count,
    const BenchConfig& config,
    const std::function<const std::string&(uint64_t)>& subject_of);

// JetStream async publishing with every ack counted: config.publishers
// connections publish config.messages (stamped) to `subject`, whose stream
// must exist; returns the seconds from the first publish to the last ack.
// kDataLoss if any publish failed or was not acked.
absl::StatusOr<double> JetStreamPublishAndTime(const BenchConfig& config,
                                               const std::string& subject);

// Connects to config.server and completes CONNECT/PING/PONG on a raw
// socket; returns it (the caller closes it). kUnavailable on failure.
absl::StatusOr<int> OpenIdleNatsConnection(const BenchConfig& config);

}  // namespace chorus::bench

#endif  // CHORUS_BENCH_PEERS_NATS_CLIENTS_H_
