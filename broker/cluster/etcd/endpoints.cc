#include "broker/cluster/etcd/endpoints.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace chorus::etcd {
namespace {

// The IPv4 address of `host`: itself when it is one, else the first that
// the resolver gives.
absl::StatusOr<std::string> Ipv4Of(const std::string& host) {
  in_addr address;
  if (inet_pton(AF_INET, host.c_str(), &address) == 1) return host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int error = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (error != 0 || found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "etcd endpoint host \"", host, "\" does not resolve to an IPv4 address",
        error != 0 ? absl::StrCat(": ", gai_strerror(error)) : ""));
  }
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr,
            text, sizeof(text));
  freeaddrinfo(found);
  return std::string(text);
}

absl::StatusOr<std::string> HostPortOf(absl::string_view endpoint) {
  absl::string_view rest = absl::StripAsciiWhitespace(endpoint);
  if (absl::StartsWith(rest, "https://")) {
    return absl::UnimplementedError(absl::StrCat(
        "etcd endpoint \"", endpoint, "\": https is not supported yet"));
  }
  absl::ConsumePrefix(&rest, "http://");
  absl::ConsumeSuffix(&rest, "/");
  size_t colon = rest.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "etcd endpoint \"", endpoint, "\" is not [http://]HOST:PORT"));
  }
  absl::StatusOr<std::string> ip = Ipv4Of(std::string(rest.substr(0, colon)));
  if (!ip.ok()) return ip.status();
  return absl::StrCat(*ip, ":", port);
}

}  // namespace

absl::StatusOr<std::string> GrpcTarget(const std::string& endpoints) {
  std::vector<std::string> members;
  for (absl::string_view endpoint :
       absl::StrSplit(endpoints, ',', absl::SkipWhitespace())) {
    absl::StatusOr<std::string> member = HostPortOf(endpoint);
    if (!member.ok()) return member.status();
    members.push_back(*std::move(member));
  }
  if (members.empty()) {
    return absl::InvalidArgumentError("no etcd endpoint given");
  }
  return absl::StrCat("ipv4:", absl::StrJoin(members, ","));
}

}  // namespace chorus::etcd
