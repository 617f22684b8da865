// Name resolution behind one interface. The loop's resolver is c-ares
// (resolver_cares.cpp) or, in a build without it, the built-in one that
// knows only "localhost". A socket's custom `lookup` option bypasses both,
// and numeric addresses never reach a resolver.
// Layer: common state machine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/ip_address.hpp"
#include "dgram/error.hpp"
#include "dgram/loop.hpp"

namespace dgram::detail {

class LoopCore;

/// The answer of a lookup: an error, or an address.
using ResolveCallback =
    std::function<void(const std::optional<Error>& error, const IpAddress&)>;

/// Identifies a lookup in flight, for `cancel`.
using LookupId = std::uint64_t;

/// A name to look up, as host_text.hpp's readHost found it.
struct LookupRequest {
  std::string hostname;  ///< the text the user gave: errors name it
  std::string query;     ///< the ASCII name to look up
  Family family = Family::IPv4;
  bool hostsOnly = false;  ///< DNS cannot carry it: the hosts file only
};

class Resolver {
 public:
  explicit Resolver(LoopCore& loop) : loop_(loop) {}
  virtual ~Resolver() = default;
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// Looks up a name: the hosts file, then DNS (unless `hostsOnly`).
  /// Only names reach a resolver: what is an address, and what is refused
  /// without asking, readHost decided. `done` runs on a later turn of the
  /// loop, exactly once, unless the lookup is cancelled first. A lookup in
  /// flight keeps the loop alive.
  LookupId resolve(LookupRequest request, ResolveCallback done);
  /// Drops a lookup: its callback never runs and it no longer keeps the
  /// loop alive. Unknown or finished ids are ignored.
  void cancel(LookupId id);

  /// Applies (already validated) options to later lookups.
  virtual void configure(const ResolverOptions& options) = 0;

 protected:
  /// Starts a lookup; the implementation calls `finish(id, ...)` once,
  /// possibly from inside this call.
  virtual void start(LookupId id, const LookupRequest& request) = 0;
  /// Delivers a lookup's result on a later turn (nothing if cancelled).
  void finish(LookupId id, std::optional<Error> error, IpAddress address);

  LoopCore& loop_;

 private:
  std::unordered_map<LookupId, ResolveCallback> pending_;
  LookupId nextId_ = 1;
};

/// The resolver a loop uses by default (c-ares when built with it).
std::unique_ptr<Resolver> createDefaultResolver(LoopCore& loop);

/// Node's lookup error: "getaddrinfo <code> <hostname>[ (<detail>)]".
Error lookupError(const char* code, std::string_view hostname,
                  std::string_view detail = {});

/// Checks and normalises resolver options: servers become "a.b.c.d:port"
/// or "[v6]:port". Throws dgram::Error as Node's dns.setServers does.
ResolverOptions validateResolverOptions(const ResolverOptions& options);

/// Whether `host` can be a host name at all: no NUL, no other control
/// character, no whitespace, not empty. Anything else fails with
/// ENOTFOUND before it reaches a resolver (Node v20 truncates at a NUL;
/// this library deliberately does not).
bool isHostText(std::string_view host) noexcept;

/// Whether `name` is "localhost" (any case): it resolves to the loopback
/// address without asking anyone (RFC 6761), as the hosts file of every
/// system says. "localhost." is not: getaddrinfo asks DNS for it.
bool isLocalhost(std::string_view name) noexcept;

}  // namespace dgram::detail
