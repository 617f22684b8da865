// The c-ares resolver, driven by the loop itself: c-ares tells us which of
// its sockets to watch (socket-state callback) and the backend calls back
// when they are ready; c-ares' timeouts run on an unref'd loop timer. No
// threads, no blocking call. One channel per loop, created on the first
// lookup. A backend that cannot watch foreign sockets gets them polled
// without blocking on a short timer instead.
//
// It is given names only (host_text.hpp decided what is an address) and
// looks them up as glibc's getaddrinfo does: the hosts file first (read
// here, through c-ares' reader), then DNS. c-ares never sees text it would
// read as a number itself.
// Layer: common state machine.
#include <ares.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/backend.hpp"
#include "common/loop_core.hpp"
#include "common/platform_socket.hpp"
#include "common/resolver.hpp"

namespace dgram::detail {
namespace {

// How often sockets are polled when the backend cannot watch them.
constexpr std::chrono::milliseconds kPollInterval{5};
// Deadlines closer than this are the same deadline (see rearmTimer).
constexpr std::chrono::milliseconds kSameDeadline{1};

// Queries on the wire at once. More wait their turn: a burst of a thousand
// queries overflows a DNS server's socket buffer (dnsmasq's does), and the
// dropped ones would only come back after a full timeout.
constexpr std::size_t kMaxInFlight = 64;

// Node reports dns.lookup failures with getaddrinfo's codes: a name that
// does not exist (or has no address of the family) is ENOTFOUND, a server
// that fails is EAI_AGAIN; c-ares adds ETIMEOUT and ECONNREFUSED.
const char* codeForStatus(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
    case ARES_EBADNAME:
      return "ENOTFOUND";
    case ARES_ETIMEOUT:
      return "ETIMEOUT";
    case ARES_ECONNREFUSED:
      return "ECONNREFUSED";
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EBADRESP:
    case ARES_EOF:
      return "EAI_AGAIN";
    case ARES_ENOMEM:
      return "ENOMEM";
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return "ECANCELED";
    default:
      return "EAI_FAIL";
  }
}

void initLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

class CaresResolver final : public Resolver {
 public:
  explicit CaresResolver(LoopCore& loop) : Resolver(loop) { initLibraryOnce(); }

  ~CaresResolver() override {
    destroying_ = true;
    destroyChannel();
  }

  void configure(const ResolverOptions& options) override {
    options_ = options;
    // A channel cannot change its timeout or tries: rebuild it, now if it
    // is idle, else once the lookups in flight are done.
    if (channel_ && inFlight_ == 0) {
      destroyChannel();
    } else if (channel_) {
      stale_ = true;
    }
  }

 protected:
  void start(LookupId id, const LookupRequest& request) override {
    if (stale_ && inFlight_ == 0) destroyChannel();
    if (!channel_) {
      if (int status = createChannel()) {
        finish(id,
               lookupError(codeForStatus(status), request.hostname,
                           ares_strerror(status)),
               IpAddress{});
        return;
      }
    }
    if (auto ip = hostsFileLookup(request.query, request.family)) {
      finish(id, std::nullopt, *ip);
      return;
    }
    if (request.hostsOnly) {
      finish(id, lookupError("ENOTFOUND", request.hostname), IpAddress{});
      return;
    }
    Query query{this, id, request.hostname, dnsName(request.query),
                request.family};
    if (inFlight_ >= kMaxInFlight) {
      waiting_.push_back(std::move(query));
      return;
    }
    send(std::move(query));
  }

 private:
  struct Query {
    CaresResolver* self;
    LookupId id;
    std::string hostname;  // for errors
    std::string name;      // asked of DNS
    Family family;
  };

  // The first address of `family` the hosts file gives `name`. Like
  // glibc, an IPv4 lookup also takes an IPv4-mapped entry, and ::1 as
  // 127.0.0.1 ("::1 ip6-localhost" answers udp4 too).
  std::optional<IpAddress> hostsFileLookup(const std::string& name,
                                           Family family) {
    if (auto ip = hostsFileEntry(name, family)) return ip;
    if (family == Family::IPv6) return std::nullopt;
    auto v6 = hostsFileEntry(name, Family::IPv6);
    if (!v6) return std::nullopt;
    if (isIPv4Mapped(*v6)) return unmapIPv4(*v6);
    if (*v6 == loopbackAddress(Family::IPv6))
      return loopbackAddress(Family::IPv4);
    return std::nullopt;
  }

  std::optional<IpAddress> hostsFileEntry(const std::string& name,
                                          Family family) {
    hostent* entry = nullptr;
    int af = family == Family::IPv4 ? AF_INET : AF_INET6;
    if (ares_gethostbyname_file(channel_, name.c_str(), af, &entry) !=
        ARES_SUCCESS)
      return std::nullopt;
    std::optional<IpAddress> ip;
    IpAddress address;
    if (addressFromHostent(entry, address) && address.family == family)
      ip = address;
    ares_free_hostent(entry);
    return ip;
  }

  // The name DNS is asked for. c-ares reads digits and dots as an IPv4
  // address itself (with its own, laxer rules: "127.0.0.08" would be
  // 127.0.0.8); a trailing dot keeps such a name a name ("127.0.0.08." is
  // the same DNS name, fully qualified).
  static std::string dnsName(const std::string& name) {
    bool digitsAndDots = !name.empty() && name.back() != '.';
    for (char c : name)
      digitsAndDots = digitsAndDots && ((c >= '0' && c <= '9') || c == '.');
    return digitsAndDots ? name + "." : name;
  }

  // One watched c-ares socket.
  class SocketWatch final : public Watcher {
   public:
    SocketWatch(CaresResolver* self, ares_socket_t socket)
        : self_(self), socket_(socket) {}
    void onReady(unsigned events) override {
      // c-ares may close this socket (and so delete this watch) inside
      // ares_process_fd: copy what is needed first.
      CaresResolver* self = self_;
      ares_socket_t socket = socket_;
      ares_process_fd(
          self->channel_,
          events & (kReadable | kErrorEvent) ? socket : ARES_SOCKET_BAD,
          events & kWritable ? socket : ARES_SOCKET_BAD);
      self->rearmTimer();
    }

   private:
    CaresResolver* self_;
    ares_socket_t socket_;
  };

  void send(Query query) {
    ares_addrinfo_hints hints{};
    hints.ai_family = query.family == Family::IPv4 ? AF_INET : AF_INET6;
    auto* pending = new Query(std::move(query));
    ++inFlight_;
    ares_getaddrinfo(channel_, pending->name.c_str(), nullptr, &hints,
                     &onResult, pending);
    rearmTimer();
  }

  // Starts queries that waited for a free slot.
  void sendWaiting() {
    while (!waiting_.empty() && inFlight_ < kMaxInFlight && channel_) {
      Query next = std::move(waiting_.front());
      waiting_.pop_front();
      send(std::move(next));
    }
  }

  int createChannel() {
    ares_options options{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS;
    options.sock_state_cb = &onSocketState;
    options.sock_state_cb_data = this;
    // DNS only: start() read the hosts file first, as getaddrinfo does.
    char lookups[] = "b";
    options.lookups = lookups;
    if (options_.timeout.count() > 0) {
      mask |= ARES_OPT_TIMEOUTMS;
      options.timeout = static_cast<int>(options_.timeout.count());
    }
    if (options_.tries > 0) {
      mask |= ARES_OPT_TRIES;
      options.tries = options_.tries;
    }
    if (int status = ares_init_options(&channel_, &options, mask)) {
      channel_ = nullptr;
      return status;
    }
    if (!options_.servers.empty()) {
      std::string csv;
      for (const std::string& server : options_.servers) {
        if (!csv.empty()) csv += ',';
        csv += server;
      }
      if (int status = ares_set_servers_ports_csv(channel_, csv.c_str())) {
        destroyChannel();
        return status;
      }
    }
    stale_ = false;
    return ARES_SUCCESS;
  }

  void destroyChannel() {
    if (!channel_) return;
    ares_channel channel = channel_;
    ares_destroy(channel);  // ends every query with ARES_EDESTRUCTION
    channel_ = nullptr;
    cancelTimer();
    retired_.clear();
  }

  static void onSocketState(void* data, ares_socket_t socket, int readable,
                            int writable) {
    auto* self = static_cast<CaresResolver*>(data);
    unsigned events = (readable ? kReadable : 0u) | (writable ? kWritable : 0u);
    auto it = self->watches_.find(socket);
    if (events == 0) {
      if (it == self->watches_.end()) return;
      self->loop_.backend().watchForeign(socket, 0, nullptr);
      // Deleted later: this may run inside that watch's own onReady.
      self->retired_.push_back(std::move(it->second));
      self->watches_.erase(it);
      return;
    }
    if (it == self->watches_.end()) {
      it = self->watches_
               .emplace(socket, std::make_unique<SocketWatch>(self, socket))
               .first;
    }
    if (!self->loop_.backend().watchForeign(socket, events, it->second.get()))
      self->polling_ = true;
  }

  static void onResult(void* arg, int status, int /*timeouts*/,
                       ares_addrinfo* result) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    CaresResolver* self = query->self;
    --self->inFlight_;
    std::optional<Error> error;
    IpAddress address;
    if (status == ARES_SUCCESS) {
      error = lookupError("ENOTFOUND", query->hostname);
      for (auto* node = result ? result->nodes : nullptr; node;
           node = node->ai_next) {
        Endpoint endpoint;
        if (endpointFromSockaddr(node->ai_addr, endpoint) &&
            endpoint.ip.family == query->family) {
          address = endpoint.ip;
          error.reset();
          break;
        }
      }
    } else {
      error = lookupError(codeForStatus(status), query->hostname);
    }
    if (result) ares_freeaddrinfo(result);
    if (self->destroying_) return;
    self->finish(query->id, std::move(error), address);
    self->sendWaiting();
  }

  // Keeps one unref'd loop timer at c-ares' next deadline while lookups
  // are in flight. Called after every c-ares event, so it moves the timer
  // in place (O(log n), no allocation) and only when the deadline really
  // changed, instead of cancelling and adding a timer each time.
  void rearmTimer() {
    if (destroying_) return;
    retired_.clear();
    if (!channel_ || inFlight_ == 0) {
      cancelTimer();
      return;
    }
    timeval tv{};
    auto wait = std::chrono::milliseconds(1000);
    if (ares_timeout(channel_, nullptr, &tv)) {
      wait =
          std::chrono::milliseconds(tv.tv_sec * 1000 + tv.tv_usec / 1000 + 1);
    }
    if (polling_) wait = std::min(wait, kPollInterval);
    const auto due = Timers::Clock::now() + wait;
    Timers& timers = loop_.timers();
    if (auto current = timer_ ? timers.dueOf(timer_) : std::nullopt) {
      // ares_timeout is relative and rounded to the millisecond: a
      // deadline within a millisecond of the armed one is the same one.
      auto shift = due > *current ? due - *current : *current - due;
      if (shift <= kSameDeadline) return;
      timers.reschedule(timer_, due);
      return;
    }
    // Housekeeping only: the lookups themselves keep the loop alive.
    timer_ = timers.add(
        due, [this] { onTimer(); }, false);
  }

  void cancelTimer() {
    if (timer_) loop_.timers().cancel(timer_);
    timer_ = 0;
  }

  void onTimer() {
    timer_ = 0;
    if (!channel_) return;
    if (polling_) pollSockets();
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    rearmTimer();
  }

  // The fallback for backends without foreign-socket readiness: ask the
  // system, without waiting, which of c-ares' sockets are ready.
  void pollSockets() {
    fd_set readable;
    fd_set writable;
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    int count = ares_fds(channel_, &readable, &writable);
    if (count == 0) return;
    timeval zero{};
    if (select(count, &readable, &writable, nullptr, &zero) > 0)
      ares_process(channel_, &readable, &writable);
  }

  ares_channel channel_ = nullptr;
  ResolverOptions options_;
  std::unordered_map<ares_socket_t, std::unique_ptr<SocketWatch>> watches_;
  std::vector<std::unique_ptr<SocketWatch>> retired_;
  std::deque<Query> waiting_;  ///< beyond kMaxInFlight, in order
  std::uint64_t timer_ = 0;
  std::size_t inFlight_ = 0;
  bool polling_ = false;
  bool stale_ = false;
  bool destroying_ = false;
};

}  // namespace

std::unique_ptr<Resolver> createDefaultResolver(LoopCore& loop) {
  return std::make_unique<CaresResolver>(loop);
}

}  // namespace dgram::detail
