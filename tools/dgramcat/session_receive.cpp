// Session: what arrives (replies in send mode, datagrams in listen mode).
#include <iostream>

#include "dgramcat/format.hpp"
#include "dgramcat/session.hpp"

namespace dgramcat {

void Session::onMessage(const dgram::Bytes& msg,
                        const dgram::RemoteInfo& rinfo) {
  if (workDone_ || finished_) return;  // past --count
  const std::string_view payload = msg.view();
  lastActivity_ = Clock::now();
  if (options_.flood) {
    // The receiver's answer to the end marker ends the flood.
    if (const auto report = floodReport(payload)) {
      floodReport_ = *report;
      return finish(0);
    }
    // An echo server sent the end marker back: the echoes are in.
    if (floodEnd(payload)) return finish(0);
  }
  if (listening() && floodEnd(payload)) return answerFloodEnd(rinfo);

  stats_.onReceived(payload);
  if (listening()) {
    if (const auto number = floodNumber(payload)) {
      floodSenders_[formatPeer(rinfo)].add(*number);
    }
    lastPeer_ = rinfo;
  }
  // --flood datagrams (and their echoes) are load: counted, not printed.
  if (!floodNumber(payload)) output(payload, rinfo);
  if (finished_) return;  // stdout failed
  if (listening()) {
    if (options_.echo)
      sendTo(std::string(payload), rinfo.port, rinfo.address.str());
    if (exec_) runExec(payload, rinfo);
    if (!pending_.empty()) pump();  // stdin waiting for a first peer
    if (options_.count != 0 && stats_.received.datagrams >= options_.count) {
      workDone_ = true;
      if (inFlight_ == 0 && execPending_ == 0) finish(0);
    }
    return;
  }
  // Send mode: every datagram sent has had its reply.
  if (drained_ && stats_.received.datagrams >= stats_.sent.datagrams &&
      !options_.flood) {
    finish(0);
  }
}

// A --flood sender is done: tell it what arrived from it.
void Session::answerFloodEnd(const dgram::RemoteInfo& rinfo) {
  const auto key = formatPeer(rinfo);
  const auto found = floodSenders_.find(key);
  SequenceTracker none;
  const SequenceTracker& seen =
      found == floodSenders_.end() ? none : found->second;
  sendTo(makeFloodReport(seen.numbered() - seen.duplicates(), seen.lost(),
                         seen.reordered()),
         rinfo.port, rinfo.address.str());
  if (options_.verbose && reported_.insert(key).second) {
    std::cerr << "dgramcat: flood from " << key << ": "
              << datagrams(seen.numbered()) << ", " << seen.lost() << " lost, "
              << seen.reordered() << " reordered" << std::endl;
  }
}

void Session::output(std::string_view payload, const dgram::RemoteInfo& rinfo) {
  const auto when = options_.timestamp
                        ? std::chrono::system_clock::now()
                        : std::chrono::system_clock::time_point{};
  const std::string error = writeStdout(renderDatagram(
      options_.output, options_.timestamp, payload, rinfo, when));
  if (!error.empty()) fail(error);
}

void Session::runExec(std::string_view payload,
                      const dgram::RemoteInfo& rinfo) {
  ++execPending_;
  const int port = rinfo.port;
  const std::string address = rinfo.address.str();
  exec_->submit(std::string(payload), address, port,
                [this, port, address](std::string output, std::string error) {
                  loop_.post([this, port, address, output = std::move(output),
                              error = std::move(error)]() mutable {
                    --execPending_;
                    if (finished_) return;
                    if (!error.empty()) return fail(error);
                    // No output, no reply.
                    if (!output.empty())
                      sendTo(std::move(output), port, address);
                    if (workDone_ && execPending_ == 0 && inFlight_ == 0)
                      finish(0);
                  });
                });
}

}  // namespace dgramcat
