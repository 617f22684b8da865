// One run of dgramcat: the socket, its timers, the counters, and the
// threads that read stdin and run --exec commands. Everything but those
// threads runs on the loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "dgram/dgram.hpp"
#include "dgramcat/exec.hpp"
#include "dgramcat/flood.hpp"
#include "dgramcat/options.hpp"
#include "dgramcat/stats.hpp"
#include "dgramcat/stdio.hpp"

namespace dgramcat {

class Session {
 public:
  Session(const Options& options, dgram::Loop& loop);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  /// SIGINT or SIGTERM: print the summary and end (status 0).
  void interrupt(const char* name);

  int status() const { return status_; }
  /// Whether the stdin thread is still blocked in a read.
  bool readerBlocked() const { return reader_.blocked(); }

 private:
  using Clock = std::chrono::steady_clock;

  bool listening() const { return options_.mode == Mode::listen; }

  // Setting up (session.cpp).
  void openSocket(dgram::Type type, bool dualStack);
  void bind();
  void onListening();
  bool applySocketOptions();
  void reportListening();
  void onError(const dgram::Error& err);
  std::string destination() const;

  // Receiving (session_receive.cpp).
  void onMessage(const dgram::Bytes& msg, const dgram::RemoteInfo& rinfo);
  void answerFloodEnd(const dgram::RemoteInfo& rinfo);
  void output(std::string_view payload, const dgram::RemoteInfo& rinfo);
  void runExec(std::string_view payload, const dgram::RemoteInfo& rinfo);

  // Sending (session_send.cpp).
  void startInput();
  void onInputEnd(const std::string& error);
  void pump();
  bool paced();
  void sendPayload(std::string payload);
  void sendTo(std::string payload, int port, const std::string& address);
  void onSent(const std::optional<dgram::Error>& err, std::size_t bytes,
              bool counted);
  void maybeDrained();
  void afterDrain();
  void sendFloodEnd();
  void sendFloodMarker();

  // Ending (session.cpp).
  void armIdle(Clock::duration delay);
  void onTimeout();
  void fail(const std::string& what, int status = 1);
  void finish(int status, const char* event = "end");
  void report(const char* event);
  std::string floodSummary() const;

  const Options& options_;
  dgram::Loop& loop_;
  std::shared_ptr<dgram::Socket> socket_;
  bool bound_ = false;
  bool ready_ = false;      // bound (and connected, if it connects)
  bool connected_ = false;  // send mode: connect()ed to HOST PORT
  bool triedIPv4_ = false;  // dual-stack fell back to udp4
  std::optional<dgram::TimerId> timer_;      // --timeout
  std::optional<dgram::TimerId> idleTimer_;  // -w
  std::optional<dgram::TimerId> paceTimer_;  // --rate / -i
  std::optional<dgram::TimerId> waitTimer_;  // -q after the input
  Clock::time_point lastActivity_{};
  Clock::time_point paceStart_{};
  std::uint64_t paced_ = 0;  // datagrams let out since paceStart_

  Statistics stats_;
  std::uint64_t inFlight_ = 0;
  std::deque<std::string> pending_;  // to send, once ready (and paced)
  bool inputEnded_ = false;
  bool drained_ = false;   // all input sent
  bool workDone_ = false;  // listen: --count reached
  bool finished_ = false;
  int status_ = 0;
  std::uint64_t messageCopies_ = 0;  // --message: copies still to queue

  // Listen mode: the last sender, where stdin goes.
  std::optional<dgram::RemoteInfo> lastPeer_;
  std::unique_ptr<ExecRunner> exec_;
  std::uint64_t execPending_ = 0;
  // Numbered datagrams per sender, for --flood reports.
  std::map<std::string, SequenceTracker> floodSenders_;
  std::set<std::string> reported_;  // senders whose flood -v reported

  // --flood.
  std::uint64_t floodNext_ = 0;
  bool floodGenerating_ = false;
  Clock::time_point floodStart_{};
  Clock::time_point floodStop_{};
  std::optional<FloodReport> floodReport_;
  bool floodEndSent_ = false;

  StdinReader reader_;
};

}  // namespace dgramcat
