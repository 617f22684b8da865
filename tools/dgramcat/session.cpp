// Session: setting up the socket, and ending the run.
#include "dgramcat/session.hpp"

#include <cstdio>
#include <iostream>

#include "dgramcat/address.hpp"
#include "dgramcat/format.hpp"

namespace dgramcat {

Session::Session(const Options& options, dgram::Loop& loop)
    : options_(options), loop_(loop) {}

void Session::start() {
  stats_.start = Clock::now();
  lastActivity_ = stats_.start;
  openSocket(options_.type, options_.dualStack);
  if (options_.timeout) {
    timer_ = loop_.setTimeout(*options_.timeout, [this] {
      timer_.reset();
      onTimeout();
    });
  }
  if (options_.idleTimeout) armIdle(*options_.idleTimeout);
  if (listening() && !options_.exec.empty()) {
    exec_ = std::make_unique<ExecRunner>(options_.exec);
  }
  startInput();
}

void Session::openSocket(dgram::Type type, bool dualStack) {
  dgram::SocketOptions socketOptions;
  socketOptions.type = type;
  socketOptions.loop = &loop_;
  socketOptions.reusePort = options_.reusePort;
  socketOptions.reuseAddr = options_.reuseAddr;
  socketOptions.ipv6Only = false;
  socketOptions.recvBufferSize = options_.recvBufferSize;
  socketOptions.sendBufferSize = options_.sendBufferSize;
  (void)dualStack;
  socket_ = dgram::createSocket(socketOptions);
  auto socket = socket_;
  socket_->on(dgram::error, [this, socket](const dgram::Error& err) {
    if (socket == socket_) onError(err);
  });
  // Registered before any send: the options apply before the sends
  // queued behind the bind go out.
  socket_->on(dgram::listening, [this, socket] {
    if (socket == socket_) onListening();
  });
  socket_->on(dgram::message,
              [this](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
                onMessage(msg, rinfo);
              });
  bind();
}

void Session::bind() {
  const int port = listening() ? options_.port : options_.sourcePort;
  if (options_.bindAddress.empty()) {
    socket_->bind(port);
  } else {
    socket_->bind(port, options_.bindAddress);
  }
}

void Session::onListening() {
  bound_ = true;
  if (!applySocketOptions()) return;
  reportListening();
  if (listening()) {
    ready_ = true;
    pump();
    return;
  }
  // Send mode: connected, so that the socket hears only HOST PORT and
  // learns of ICMP errors (port unreachable...). Not for broadcast and
  // multicast, whose replies come from other addresses.
  if (options_.broadcast || isMulticastLiteral(options_.host)) {
    ready_ = true;
    pump();
    return;
  }
  socket_->connect(
      options_.port, options_.host,
      [this](const std::optional<dgram::Error>& err) {
        if (finished_) return;
        if (err) {
          if (err->code() == "EINVAL" && err->syscall() == "getaddrinfo") {
            return fail(
                "invalid address '" + options_.host + "' (" + err->what() + ")",
                2);
          }
          return onError(*err);
        }
        connected_ = true;
        ready_ = true;
        pump();
      });
}

// The multicast and broadcast options, once there is a bound socket.
// A refused one ends the run like any runtime error.
bool Session::applySocketOptions() {
  try {
    if (options_.broadcast) socket_->setBroadcast(true);
    if (options_.ttl) {
      socket_->setMulticastTTL(*options_.ttl);
      if (*options_.ttl >= 1) socket_->setTTL(*options_.ttl);
    }
    if (options_.multicastLoopback)
      socket_->setMulticastLoopback(*options_.multicastLoopback);
    if (!options_.multicastInterface.empty())
      socket_->setMulticastInterface(options_.multicastInterface);
    for (const auto& join : options_.joins) {
      if (options_.source.empty()) {
        socket_->addMembership(join.group, join.iface);
      } else {
        socket_->addSourceSpecificMembership(options_.source, join.group,
                                             join.iface);
      }
    }
  } catch (const dgram::Error& err) {
    fail(err.what());
    return false;
  }
  return true;
}

std::string Session::destination() const {
  const bool bracket = looksIPv6(options_.host);
  return (bracket ? "[" : "") + options_.host + (bracket ? "]" : "") + ":" +
         std::to_string(options_.port);
}

void Session::reportListening() {
  if (!options_.verbose) return;
  const auto local = socket_->address();
  const auto endpoint = formatEndpoint(local.address, local.family, local.port);
  for (const auto& join : options_.joins) {
    std::cerr << "dgramcat: joined " << join.group;
    if (!options_.source.empty()) std::cerr << " from " << options_.source;
    if (!join.iface.empty()) std::cerr << " on " << join.iface;
    std::cerr << std::endl;
  }
  if (options_.recvBufferSize != 0 || options_.sendBufferSize != 0) {
    try {
      std::cerr << "dgramcat: buffers: receive " << socket_->getRecvBufferSize()
                << " bytes, send " << socket_->getSendBufferSize() << " bytes"
                << std::endl;
    } catch (const dgram::Error& err) {
      std::cerr << "dgramcat: buffers: " << err.what() << std::endl;
    }
  }
  if (listening()) {
    std::cerr << "dgramcat: listening on " << endpoint
              << (socket_->type() == dgram::Type::udp6 && options_.dualStack
                      ? " (IPv4 and IPv6)"
                      : "")
              << std::endl;
  } else {
    std::cerr << "dgramcat: sending from " << endpoint << " to "
              << destination() << std::endl;
  }
}

void Session::onError(const dgram::Error& err) {
  const std::string& code = err.code();
  // No IPv6 on this host: listen on IPv4 alone.
  if (options_.dualStack && !bound_ && !triedIPv4_ &&
      (code == "EAFNOSUPPORT" || code == "EADDRNOTAVAIL" ||
       code == "EPROTONOSUPPORT")) {
    triedIPv4_ = true;
    socket_->close();
    openSocket(dgram::Type::udp4, false);
    return;
  }
  if (!listening() && connected_) {
    if (code == "ECONNREFUSED") {
      return fail("connection refused by " + destination() +
                  " (ICMP port unreachable: nothing listens there)");
    }
    if (code == "EHOSTUNREACH" || code == "ENETUNREACH") {
      return fail(std::string(code == "EHOSTUNREACH" ? "host" : "network") +
                  " unreachable: " + destination() + " (" + code + ")");
    }
  }
  if (code == "ENOTFOUND" && !listening() &&
      options_.type == dgram::Type::udp4) {
    return fail(std::string(err.what()) +
                " (no IPv4 address found; if it has an IPv6 one, use -6)");
  }
  if (code == "EACCES" && !listening() && !options_.broadcast) {
    return fail(std::string(err.what()) +
                " (a broadcast address needs --broadcast)");
  }
  fail(err.what());
}

// -w: ends the run once nothing was sent or received for the period.
void Session::armIdle(Clock::duration delay) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(delay);
  idleTimer_ = loop_.setTimeout(ms, [this] {
    idleTimer_.reset();
    if (finished_) return;
    const auto idle = Clock::now() - lastActivity_;
    if (idle >= *options_.idleTimeout) {
      if (options_.verbose) {
        std::cerr << "dgramcat: idle for "
                  << std::chrono::duration<double>(idle).count() << " s"
                  << std::endl;
      }
      return finish(0);
    }
    armIdle(*options_.idleTimeout - idle);
  });
}

// --timeout: a normal end, unless it cut short what was asked for (see
// "Exit status" in helpText()).
void Session::onTimeout() {
  if (finished_) return;
  const auto& sent = stats_.sent.datagrams;
  const auto& received = stats_.received.datagrams;
  if (listening()) {
    if (options_.count != 0 && received < options_.count) {
      return fail("timeout: received " + std::to_string(received) + " of " +
                  datagrams(options_.count));
    }
  } else if (options_.flood) {
    // --flood --timeout: the duration; not an error.
  } else if (options_.count != 0 || options_.message) {
    const std::uint64_t wanted = options_.count == 0 ? 1 : options_.count;
    if (sent < wanted) {
      return fail("timeout: sent " + std::to_string(sent) + " of " +
                  datagrams(wanted));
    }
  } else if (inFlight_ != 0 || !pending_.empty()) {
    return fail("timeout: sent " + datagrams(sent) + ", " +
                std::to_string(inFlight_ + pending_.size()) + " still pending");
  }
  finish(0);
}

void Session::interrupt(const char* name) {
  if (finished_) return;
  if (options_.verbose) std::cerr << "dgramcat: " << name << std::endl;
  finish(0, "interrupt");
}

void Session::fail(const std::string& what, int status) {
  if (finished_) return;
  std::cerr << "dgramcat: " << what << std::endl;
  finish(status);
}

void Session::report(const char* event) {
  const auto elapsed = Clock::now() - stats_.start;
  const auto& sent = stats_.sent.datagrams;
  const auto& received = stats_.received.datagrams;
  if (options_.flood) {
    std::cerr << "dgramcat: " << floodSummary() << std::endl;
  } else if (options_.verbose && options_.stats == Stats::off) {
    if (listening()) {
      std::cerr << "dgramcat: received " << datagrams(received);
      if (sent != 0 || options_.echo) std::cerr << ", sent " << sent;
      std::cerr << std::endl;
    } else {
      std::cerr << "dgramcat: sent " << datagrams(sent);
      if (received != 0) std::cerr << ", received " << received;
      std::cerr << std::endl;
    }
  }
  if (options_.stats == Stats::text) {
    std::cerr << "dgramcat: " << formatStatsText(stats_, elapsed) << std::endl;
  } else if (options_.stats == Stats::json) {
    std::string json = formatStatsJson(stats_, elapsed, event);
    if (options_.flood && floodReport_) {
      json.pop_back();
      json += ",\"receiver\":{\"received\":" +
              std::to_string(floodReport_->received) +
              ",\"lost\":" + std::to_string(floodReport_->lost) +
              ",\"reordered\":" + std::to_string(floodReport_->reordered) +
              "}}";
    }
    std::cerr << json << std::endl;
  }
}

std::string Session::floodSummary() const {
  const double seconds =
      std::chrono::duration<double>(floodStop_ - floodStart_).count();
  const auto sent = stats_.sent.datagrams;
  char rate[128];
  std::snprintf(
      rate, sizeof rate, " in %.3f s (%.0f datagrams/s, %.2f Mbit/s)", seconds,
      seconds > 0 ? static_cast<double>(sent) / seconds : 0,
      seconds > 0 ? 8.0 * static_cast<double>(stats_.sent.bytes) / seconds / 1e6
                  : 0);
  std::string text = "flood: sent " + datagrams(sent) + " of " +
                     std::to_string(options_.floodSize) + " bytes" + rate;
  const auto percent = [sent](std::uint64_t lost) {
    char out[32];
    std::snprintf(
        out, sizeof out, "%.2f%%",
        sent ? 100.0 * static_cast<double>(lost) / static_cast<double>(sent)
             : 0.0);
    return std::string(out);
  };
  if (floodReport_) {
    const auto lost = sent > floodReport_->received
                          ? sent - floodReport_->received
                          : std::uint64_t{0};
    text += "; the receiver got " + std::to_string(floodReport_->received) +
            " (" + std::to_string(lost) + " lost, " + percent(lost) + ", " +
            std::to_string(floodReport_->reordered) + " reordered)";
  } else if (stats_.received.datagrams != 0) {
    const auto got = stats_.sequence.numbered();
    const auto lost = sent > got ? sent - got : std::uint64_t{0};
    text += "; echoed back: " + std::to_string(got) + " (" +
            std::to_string(lost) + " lost, " + percent(lost) + ")";
  } else {
    text += "; no report from the receiver (is it dgramcat -l?)";
  }
  return text;
}

// Ends the run: once the socket is closed and the timers cleared, the
// loop has nothing left and run() returns.
void Session::finish(int status, const char* event) {
  if (finished_) return;
  finished_ = true;
  status_ = status;
  if (floodGenerating_) floodStop_ = Clock::now();
  for (auto* timer : {&timer_, &idleTimer_, &paceTimer_, &waitTimer_}) {
    if (*timer) {
      loop_.clearTimeout(**timer);
      timer->reset();
    }
  }
  report(event);
  socket_->close();
}

}  // namespace dgramcat
