// Session: what goes out (stdin, --message, --flood, echoes and replies),
// at the --rate asked for, and the wait for replies after the input.
#include <iostream>

#include "dgramcat/format.hpp"
#include "dgramcat/session.hpp"

namespace dgramcat {
namespace {

// Datagrams handed to the socket and not yet completed, at most: keeps
// --flood and large inputs from queueing everything at once.
constexpr std::uint64_t kWindow = 1024;

// Without -q: long enough for an ICMP error from the local host.
constexpr std::chrono::milliseconds kDefaultWait{10};
// --flood without -q: the receiver's report has this long to come.
constexpr std::chrono::milliseconds kDefaultFloodWait{1000};

}  // namespace

void Session::startInput() {
  if (options_.flood) {
    floodGenerating_ = true;
    floodStart_ = Clock::now();
    if (options_.duration) floodStop_ = floodStart_ + *options_.duration;
    return;  // pump() makes the datagrams
  }
  if (options_.message) {
    messageCopies_ = options_.count == 0 ? 1 : options_.count;
    inputEnded_ = true;
    return;
  }
  if (listening() && (exec_ || options_.noStdin)) return;
  if (!listening() && options_.noStdin) {
    inputEnded_ = true;
    return;
  }
  const std::uint64_t limit = listening() ? 0 : options_.count;
  reader_.start(
      Framer(options_.input, options_.blockSize, limit),
      [this](std::vector<std::string> batch) {
        loop_.post([this, batch = std::move(batch)]() mutable {
          if (finished_) return;
          for (auto& datagram : batch)
            pending_.push_back(std::move(datagram));
          pump();
        });
      },
      [this](std::string error) {
        loop_.post([this, error = std::move(error)] { onInputEnd(error); });
      });
}

void Session::onInputEnd(const std::string& error) {
  if (finished_) return;
  if (!error.empty()) return fail(error);
  if (listening()) return;  // listening goes on without stdin
  inputEnded_ = true;
  maybeDrained();
}

// Whether --rate / -i lets one more datagram out now; if not, a timer
// calls pump() again when it does.
bool Session::paced() {
  if (options_.sendInterval.count() == 0) return true;
  const auto now = Clock::now();
  if (paced_ == 0) paceStart_ = now;
  const auto due = paceStart_ + options_.sendInterval * paced_;
  if (now >= due) {
    ++paced_;
    return true;
  }
  if (!paceTimer_) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due - now);
    paceTimer_ = loop_.setTimeout(wait, [this] {
      paceTimer_.reset();
      pump();
    });
  }
  return false;
}

// Sends what is due, within the window and the pace.
void Session::pump() {
  if (finished_ || !ready_) return;
  if (listening() && !lastPeer_) return;  // stdin waits for a first sender
  while (inFlight_ < kWindow) {
    if (options_.flood) {
      if (!floodGenerating_) break;
      const auto now = Clock::now();
      if ((options_.count != 0 && floodNext_ >= options_.count) ||
          (options_.duration && now >= floodStop_)) {
        floodGenerating_ = false;
        floodStop_ = now;
        break;
      }
      if (!paced()) return;
      std::string datagram;
      makeFloodDatagram(datagram, floodNext_++, options_.floodSize);
      sendPayload(std::move(datagram));
      continue;
    }
    if (messageCopies_ != 0) {
      if (!paced()) return;
      --messageCopies_;
      sendPayload(*options_.message);
      continue;
    }
    if (pending_.empty()) break;
    if (!paced()) return;
    std::string datagram = std::move(pending_.front());
    pending_.pop_front();
    sendPayload(std::move(datagram));
  }
  maybeDrained();
}

void Session::sendPayload(std::string payload) {
  if (listening()) {
    sendTo(std::move(payload), lastPeer_->port, lastPeer_->address.str());
    return;
  }
  if (!connected_) {
    sendTo(std::move(payload), options_.port, options_.host);
    return;
  }
  ++inFlight_;
  socket_->send(payload,
                [this](const std::optional<dgram::Error>& err,
                       std::size_t bytes) { onSent(err, bytes, true); });
}

// Sends `payload` (the library copies it before returning).
void Session::sendTo(std::string payload, int port,
                     const std::string& address) {
  ++inFlight_;
  socket_->send(payload, port, address,
                [this](const std::optional<dgram::Error>& err,
                       std::size_t bytes) { onSent(err, bytes, true); });
}

void Session::onSent(const std::optional<dgram::Error>& err, std::size_t bytes,
                     bool counted) {
  --inFlight_;
  if (finished_) return;  // e.g. ECANCELED after --timeout
  if (err) return onError(*err);
  if (counted) {
    ++stats_.sent.datagrams;
    stats_.sent.bytes += bytes;
  }
  lastActivity_ = Clock::now();
  if (listening()) {
    if (workDone_ && inFlight_ == 0 && execPending_ == 0) finish(0);
    if (!pending_.empty()) pump();
    return;
  }
  pump();
}

// Send mode: once everything is sent, wait for replies (and ICMP errors).
void Session::maybeDrained() {
  if (listening() || drained_ || finished_) return;
  if (options_.flood) {
    if (floodGenerating_ || inFlight_ != 0 || floodEndSent_) return;
    if (!ready_) return;
    return sendFloodEnd();
  }
  if (!inputEnded_ || messageCopies_ != 0 || !pending_.empty() ||
      inFlight_ != 0) {
    return;
  }
  drained_ = true;
  afterDrain();
}

void Session::afterDrain() {
  if (stats_.sent.datagrams != 0 &&
      stats_.received.datagrams >= stats_.sent.datagrams) {
    return finish(0);  // every datagram had its reply
  }
  const auto wait =
      options_.wait.value_or(options_.flood ? kDefaultFloodWait : kDefaultWait);
  waitTimer_ = loop_.setTimeout(wait, [this] {
    waitTimer_.reset();
    finish(0);
  });
}

// --flood: all sent; ask a dgramcat receiver what it got.
void Session::sendFloodEnd() {
  floodEndSent_ = true;
  drained_ = true;
  sendFloodMarker();
  const auto wait = options_.wait.value_or(kDefaultFloodWait);
  waitTimer_ = loop_.setTimeout(wait, [this] {
    waitTimer_.reset();
    finish(0);
  });
}

// The end marker, again every 100 ms until the report comes: the flood
// may have filled the receiver's buffer, and then the marker is lost too.
void Session::sendFloodMarker() {
  const std::string end = makeFloodEnd(stats_.sent.datagrams);
  const auto done = [this](const std::optional<dgram::Error>& err,
                           std::size_t bytes) { onSent(err, bytes, false); };
  ++inFlight_;
  if (connected_) {
    socket_->send(end, done);
  } else {
    socket_->send(end, options_.port, options_.host, done);
  }
  paceTimer_ = loop_.setTimeout(std::chrono::milliseconds(100), [this] {
    paceTimer_.reset();
    if (!finished_) sendFloodMarker();
  });
}

}  // namespace dgramcat
