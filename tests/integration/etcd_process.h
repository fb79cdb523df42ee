// EtcdCluster: a real etcd (the Debian etcd-server binary) of one or three
// members, started by a test on free loopback ports (on fresh ones when a
// member cannot bind its own), with its data in a temporary folder, and
// faults to inject into it.
//
//   auto etcd = EtcdCluster::Start(3);  // waits until every member is healthy
//   auto client = etcd::Client::Connect((*etcd)->endpoints());
//   (*etcd)->Kill(0);                       // SIGKILL one member
//   ASSERT_TRUE((*etcd)->Restart(0).ok());  // same ports, same data
#ifndef CHORUS_TESTS_INTEGRATION_ETCD_PROCESS_H_
#define CHORUS_TESTS_INTEGRATION_ETCD_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/integration/subprocess.h"

namespace chorus::testing {

// Paths of the etcd server and etcdctl binaries, found by CMake.
const char* EtcdPath();
const char* EtcdctlPath();

class EtcdCluster {
 public:
  // Starts `members` (1 or 3) etcd members and waits until each reports
  // itself healthy (it has a leader).
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(int members = 1);
  // Kills every member and removes the data.
  ~EtcdCluster();

  // "http://127.0.0.1:A,http://127.0.0.1:B,..." for --etcd and Connect.
  std::string endpoints() const;
  // One member's client URL.
  std::string endpoint(int member) const;
  int size() const { return static_cast<int>(members_.size()); }

  void Kill(int member);    // SIGKILL
  void Pause(int member);   // SIGSTOP
  void Resume(int member);  // SIGCONT
  // Starts a stopped member again on its ports and data, and waits until
  // it is healthy.
  absl::Status Restart(int member);
  // Waits until `member` answers /health with a leader.
  absl::Status WaitHealthy(int member, absl::Duration timeout);

 private:
  struct Member {
    std::string name;
    int client_port = 0;
    int peer_port = 0;
    std::unique_ptr<Subprocess> process;
  };
  EtcdCluster() = default;
  // One attempt of Start, on ports drawn afresh.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> TryStart(int members);
  absl::Status Launch(int member);

  std::string root_;
  std::string token_;
  std::vector<Member> members_;
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_INTEGRATION_ETCD_PROCESS_H_
