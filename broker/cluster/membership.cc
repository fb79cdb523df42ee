#include "broker/cluster/membership.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace chorus::cluster {

absl::StatusOr<std::unique_ptr<Membership>> Membership::Join(
    etcd::Client& etcd, const ClusterKeys& keys, wire::BrokerRecord record,
    const ClusterOptions& options, etcd::LeaseKeeper::LostCallback on_lost) {
  const std::string key = keys.Broker(record.node_id());
  const absl::Time deadline = absl::Now() + options.join_timeout;
  bool waiting_logged = false;
  while (true) {
    absl::StatusOr<etcd::Lease> lease =
        etcd.GrantLease(options.session_timeout);
    if (!lease.ok()) return lease.status();
    absl::StatusOr<etcd::TxnResult> registered =
        etcd.Txn({etcd::Compare::Absent(key)},
                 {etcd::Op::Put(key, record.SerializeAsString(), lease->id)},
                 {etcd::Op::Get(key)});
    if (!registered.ok()) {
      etcd.RevokeLease(lease->id).IgnoreError();
      return registered.status();
    }
    const etcd::KeyValue* holder_kv =
        registered->reads.empty() || registered->reads[0].empty()
            ? nullptr
            : &registered->reads[0][0];
    // A retried transaction whose first attempt registered us reads our own
    // registration back.
    if (registered->succeeded ||
        (holder_kv != nullptr && holder_kv->lease == lease->id)) {
      const int64_t incarnation = registered->succeeded
                                      ? registered->revision
                                      : holder_kv->create_revision;
      auto member = std::unique_ptr<Membership>(
          new Membership(etcd, std::move(record), *lease, incarnation));
      member->keeper_ =
          std::make_unique<etcd::LeaseKeeper>(etcd, *lease, std::move(on_lost));
      return member;
    }
    etcd.RevokeLease(lease->id).IgnoreError();
    wire::BrokerRecord holder;
    if (holder_kv != nullptr) holder.ParseFromString(holder_kv->value);
    if (absl::Now() >= deadline) {
      return absl::AlreadyExistsError(absl::StrCat(
          "node id ", record.node_id(), " is registered by a live broker at ",
          holder.address(), " (its lease was renewed for ",
          absl::FormatDuration(options.join_timeout),
          "); is a copy of this data dir running?"));
    }
    if (!waiting_logged) {
      Log(LogLevel::kWarning, "cluster",
          absl::StrCat("node id ", record.node_id(),
                       " is still registered (at ", holder.address(),
                       "): waiting for a previous run's lease to lapse"));
      waiting_logged = true;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
}

Membership::Membership(etcd::Client& etcd, wire::BrokerRecord record,
                       etcd::Lease lease, int64_t incarnation)
    : etcd_(etcd),
      record_(std::move(record)),
      lease_(lease),
      incarnation_(incarnation) {}

Membership::~Membership() {
  keeper_.reset();
  etcd_.RevokeLease(lease_.id).IgnoreError();
}

}  // namespace chorus::cluster
