#include "tests/support/http/raw_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace tokend::testing {
namespace {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// A numeric IPv4 or IPv6 address (no brackets) and a port.
bool ParseAddress(const std::string& host, int port, Address* out) {
  *out = Address();
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out->length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out->length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

int Remaining(absl::Time deadline) {
  int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return ms <= 0 ? 0 : static_cast<int>(ms);
}

// Waits for `events` on `fd` until `deadline`; false when it passed.
bool WaitFor(int fd, short events, absl::Time deadline) {
  while (true) {
    int left = Remaining(deadline);
    if (left == 0) return false;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, left);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Closes the descriptor when it goes out of scope.
struct Socket {
  int fd = -1;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

absl::StatusOr<RawHttpResponse> Parse(const std::string& raw, const std::string& what) {
  RawHttpResponse response;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat(what, ": closed without an answer (", raw.size(), " bytes)"));
  }
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::InternalError(absl::StrCat(what, ": not an HTTP answer: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    response.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  response.body = raw.substr(end + 4);
  return response;
}

}  // namespace

absl::StatusOr<RawHttpResponse> RawHttpRequest(const std::string& host, int port,
                                               const std::string& method, const std::string& target,
                                               absl::Duration timeout, const std::string& source,
                                               const std::string& extra_headers) {
  const absl::Time deadline = absl::Now() + timeout;
  const bool v6 = host.find(':') != std::string::npos;
  const std::string authority =
      v6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
  const std::string what = absl::StrCat(method, " ", target, " at ", authority);
  Address address;
  if (!ParseAddress(host, port, &address)) {
    return absl::InvalidArgumentError(absl::StrCat("not a numeric address: ", host));
  }
  Socket s;
  s.fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  if (!source.empty()) {
    Address from;
    if (!ParseAddress(source, 0, &from) || from.family() != address.family()) {
      return absl::InvalidArgumentError(absl::StrCat("bad source address: ", source));
    }
    if (::bind(s.fd, from.get(), from.length) != 0) {
      return absl::UnavailableError(absl::StrCat("bind ", source, ": ", std::strerror(errno)));
    }
  }
  if (::connect(s.fd, address.get(), address.length) != 0) {
    if (errno != EINPROGRESS) {
      return absl::UnavailableError(absl::StrCat(what, ": connect: ", std::strerror(errno)));
    }
    if (!WaitFor(s.fd, POLLOUT, deadline)) {
      return absl::DeadlineExceededError(absl::StrCat(what, ": connect took too long"));
    }
    int error = 0;
    socklen_t length = sizeof(error);
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      return absl::UnavailableError(absl::StrCat(what, ": connect: ", std::strerror(error)));
    }
  }
  const std::string request = absl::StrCat(method, " ", target, " HTTP/1.1\r\nHost: ", authority,
                                           "\r\nConnection: close\r\n", extra_headers, "\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(s.fd, POLLOUT, deadline)) {
        return absl::DeadlineExceededError(absl::StrCat(what, ": sending took too long"));
      }
    } else {
      return absl::UnavailableError(absl::StrCat(what, ": send: ", std::strerror(errno)));
    }
  }
  std::string raw;
  char buffer[8192];
  while (true) {
    ssize_t n = ::recv(s.fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      raw.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!WaitFor(s.fd, POLLIN, deadline)) {
        return absl::DeadlineExceededError(
            absl::StrCat(what, ": no complete answer in ", absl::FormatDuration(timeout)));
      }
    } else if (errno == ECONNRESET && !raw.empty()) {
      break;
    } else {
      return absl::UnavailableError(absl::StrCat(what, ": recv: ", std::strerror(errno)));
    }
  }
  return Parse(raw, what);
}

bool HostHasIpv6Loopback() {
  Socket s;
  s.fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return false;
  Address address;
  ParseAddress("::1", 0, &address);
  return ::bind(s.fd, address.get(), address.length) == 0;
}

StallingClients::StallingClients(std::string host, int port, int count, std::string partial)
    : host_(std::move(host)), port_(port), count_(count), partial_(std::move(partial)) {}

StallingClients::~StallingClients() { Stop(); }

void StallingClients::Start() {
  thread_ = std::thread([this] { Run(); });
}

void StallingClients::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool StallingClients::WaitUntilAllStalled(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (ever_stalled_.load() < count_) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

void StallingClients::Run() {
  // A slot is one connection: closed (fd -1) until its retry time, then
  // connecting, then stalled (its partial request sent).
  struct Slot {
    int fd = -1;
    bool stalled = false;
    bool ever_stalled = false;
    absl::Time retry_at = absl::InfinitePast();
  };
  std::vector<Slot> slots(static_cast<size_t>(count_));
  Address address;
  if (!ParseAddress(host_, port_, &address)) return;

  auto close_slot = [&](Slot& slot, bool was_dropped) {
    ::close(slot.fd);
    slot.fd = -1;
    if (slot.stalled) --stalled_;
    if (was_dropped) ++dropped_;
    slot.stalled = false;
    // Not at once: a server that refuses at once would make this spin.
    slot.retry_at = absl::Now() + absl::Milliseconds(20);
  };
  auto send_partial = [&](Slot& slot) {
    ssize_t n = ::send(slot.fd, partial_.data(), partial_.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(partial_.size())) {
      close_slot(slot, false);
      return;
    }
    slot.stalled = true;
    ++stalled_;
    if (!slot.ever_stalled) {
      slot.ever_stalled = true;
      ++ever_stalled_;
    }
  };

  std::vector<pollfd> polled;
  std::vector<Slot*> polled_slots;
  while (!stop_.load()) {
    const absl::Time now = absl::Now();
    for (Slot& slot : slots) {
      if (slot.fd >= 0 || now < slot.retry_at) continue;
      slot.fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (slot.fd < 0) {
        slot.retry_at = now + absl::Milliseconds(20);
        continue;
      }
      if (::connect(slot.fd, address.get(), address.length) == 0) {
        send_partial(slot);
      } else if (errno != EINPROGRESS) {
        close_slot(slot, false);
      }
    }
    polled.clear();
    polled_slots.clear();
    for (Slot& slot : slots) {
      if (slot.fd < 0) continue;
      polled.push_back(pollfd{slot.fd, static_cast<short>(slot.stalled ? POLLIN : POLLOUT), 0});
      polled_slots.push_back(&slot);
    }
    if (::poll(polled.data(), polled.size(), 20) <= 0) continue;
    for (size_t i = 0; i < polled.size(); ++i) {
      Slot& slot = *polled_slots[i];
      if (polled[i].revents == 0) continue;
      if (!slot.stalled) {
        int error = 0;
        socklen_t length = sizeof(error);
        ::getsockopt(slot.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error == 0) {
          send_partial(slot);
        } else {
          close_slot(slot, false);
        }
        continue;
      }
      // The server closed it, or answered (a timeout or an error): either way
      // this connection is done.
      char buffer[4096];
      while (::recv(slot.fd, buffer, sizeof(buffer), 0) > 0) {
      }
      close_slot(slot, true);
    }
  }
  for (Slot& slot : slots) {
    if (slot.fd >= 0) ::close(slot.fd);
  }
  stalled_ = 0;
}

}  // namespace tokend::testing
