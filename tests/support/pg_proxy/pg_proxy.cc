#include "tests/support/pg_proxy/pg_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tokend::testing {
namespace {

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

uint32_t ReadLength(const std::string& buffer, size_t at) {
  uint32_t n;
  std::memcpy(&n, buffer.data() + at, 4);
  return ntohl(n);
}

// Splits complete protocol messages off the front of `buffer`: a type byte
// and a length that counts itself (or, for the client's first message, the
// startup packet, the length alone). Calls `each(type, whole message)`;
// false from it stops. Returns false when a message is malformed.
template <typename Each>
bool TakeMessages(std::string* buffer, bool* startup, Each each) {
  while (true) {
    const size_t header = *startup ? 4 : 5;
    if (buffer->size() < header) return true;
    const uint32_t length = ReadLength(*buffer, *startup ? 0 : 1);
    if (length < 4) return false;
    const size_t whole = (*startup ? 0 : 1) + length;
    if (buffer->size() < whole) return true;
    const char type = *startup ? '\0' : (*buffer)[0];
    *startup = false;
    const std::string message = buffer->substr(0, whole);
    buffer->erase(0, whole);
    if (!each(type, message)) return true;
  }
}

// The statement a Bind message binds: its body is the portal's name, then
// the statement's, each NUL-terminated.
std::string BoundStatement(const std::string& message) {
  const size_t portal_end = message.find('\0', 5);
  if (portal_end == std::string::npos) return "";
  const size_t statement_end = message.find('\0', portal_end + 1);
  if (statement_end == std::string::npos) return "";
  return message.substr(portal_end + 1, statement_end - portal_end - 1);
}

void HoldBack(int64_t micros) {
  if (micros > 0) absl::SleepFor(absl::Microseconds(micros));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgProxy>> PgProxy::Start(int target_port) {
  std::unique_ptr<PgProxy> proxy(new PgProxy());
  proxy->target_port_ = target_port;
  proxy->listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (proxy->listener_ < 0) return absl::InternalError("pg proxy: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(proxy->listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(proxy->listener_, 64) != 0 ||
      ::getsockname(proxy->listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(absl::StrCat("pg proxy: cannot listen: ", std::strerror(errno)));
  }
  proxy->port_ = ntohs(addr.sin_port);
  proxy->acceptor_ = std::thread([p = proxy.get()] { p->Accept(); });
  return proxy;
}

PgProxy::~PgProxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listener_);
  std::vector<RelayThread> relays;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    relays.swap(relays_);
  }
  for (RelayThread& r : relays) r.thread.join();
}

void PgProxy::SetCut(bool cut) {
  absl::MutexLock lock(&mu_);
  cut_ = cut;
  if (!cut) return;
  // The relays see their sockets shut and close them.
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  cuts_ += static_cast<int>(open_fds_.size() / 2);
}

void PgProxy::SetDelay(absl::Duration delay) { delay_us_ = absl::ToInt64Microseconds(delay); }

void PgProxy::ReapRelays() {
  std::vector<RelayThread> running;
  for (RelayThread& r : relays_) {
    if (r.done->load()) {
      r.thread.join();
    } else {
      running.push_back(std::move(r));
    }
  }
  relays_.swap(running);
}

void PgProxy::CutAfterCommitOf(std::string statement) {
  absl::MutexLock lock(&mu_);
  armed_ = std::move(statement);
}

void PgProxy::Accept() {
  while (!stopping_) {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (cut_) {
      ::close(client);
      ++refused_;
      continue;
    }
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      continue;
    }
    absl::MutexLock lock(&mu_);
    ReapRelays();
    if (cut_) {  // cut while connecting: SetCut's sweep has passed already
      ::close(client);
      ::close(server);
      ++refused_;
      continue;
    }
    open_fds_.push_back(client);
    open_fds_.push_back(server);
    auto done = std::make_unique<std::atomic<bool>>(false);
    std::atomic<bool>* flag = done.get();
    relays_.push_back({std::thread([this, client, server, flag] { Relay(client, server, flag); }),
                       std::move(done)});
  }
}

void PgProxy::Relay(int client, int server, std::atomic<bool>* done) {
  std::string from_client, from_server;
  bool client_startup = true, server_startup = false;
  bool cut_at_ready = false;
  bool open = true;
  char chunk[16384];
  while (open && !stopping_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(fds, 2, 200) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) {
      const ssize_t n = ::recv(client, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      HoldBack(delay_us_.load());
      from_client.append(chunk, static_cast<size_t>(n));
      std::string out;
      open = TakeMessages(&from_client, &client_startup, [&](char type, const std::string& m) {
        if (type == 'B') {
          absl::MutexLock lock(&mu_);
          if (!armed_.empty() && BoundStatement(m) == armed_) {
            armed_.clear();
            cut_at_ready = true;
          }
        }
        out += m;
        return true;
      });
      if (!WriteAll(server, out.data(), out.size())) break;
    }
    if (fds[1].revents != 0) {
      const ssize_t n = ::recv(server, chunk, sizeof(chunk), 0);
      if (n <= 0) break;
      HoldBack(delay_us_.load());
      from_server.append(chunk, static_cast<size_t>(n));
      std::string out;
      bool cut = false;
      open = TakeMessages(&from_server, &server_startup, [&](char type, const std::string& m) {
        if (cut_at_ready && type == 'Z') {
          cut = true;
          return false;
        }
        out += m;
        return true;
      });
      if (!WriteAll(client, out.data(), out.size())) break;
      if (cut) {
        ++cuts_;
        break;
      }
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::shutdown(server, SHUT_RDWR);
  absl::MutexLock lock(&mu_);
  std::erase(open_fds_, client);
  std::erase(open_fds_, server);
  ::close(client);
  ::close(server);
  *done = true;
}

}  // namespace tokend::testing
