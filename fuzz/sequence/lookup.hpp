// The sequence fuzzer's custom lookups (Node's `lookup` option): each
// socket made with one gets a script of four modes from the input, used in
// turn for its lookups: answer at once, fail, answer from a posted job or a
// timer, throw (before or after answering), stash the answer for later (an
// `answer` letter or deed, or the end of the program: after close), or
// answer with text that is no address.
//
// Whatever the mode, an answer is a loopback address: the host itself when
// it is a loopback literal, else the loopback of the family asked for.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../fuzz_support.hpp"

namespace seq {

/// What a listener, callback or lookup throws: only runOnce() (or the
/// call that ran the lookup) may let it out.
struct Thrown : std::runtime_error {
  Thrown() : std::runtime_error("thrown by a fuzzed callback") {}
};

/// How one lookup answers.
enum class LookupMode : std::uint8_t {
  now,              // answers before returning
  fail,             // ENOTFOUND before returning
  posted,           // answers from a posted job
  timed,            // answers from a timer (0-2 ms)
  raise,            // throws
  answerThenRaise,  // answers, then throws (the answer must be ignored)
  stash,            // answers when told to (maybe after close, or never)
  garbage,          // "answers" text that is no address
  count
};

class Lookups {
 public:
  using Script = std::array<std::uint8_t, 4>;

  /// `loop` is the harness's current loop (replaced when destroyed);
  /// `thrown` counts the exceptions raised, as the harness's own.
  Lookups(std::unique_ptr<dgram::Loop>& loop, long& thrown)
      : loop_(loop), thrown_(thrown) {}

  static Script readScript(fuzz::Input& in) {
    Script script{};
    for (auto& mode : script)
      mode = in.byte();
    return script;
  }

  /// The lookup function for a socket with `script`.
  dgram::LookupFunction make(Script script) {
    auto turn = std::make_shared<unsigned>(0);
    return [this, script, turn](std::string_view host, dgram::Family family,
                                dgram::LookupCallback done) {
      auto mode = static_cast<LookupMode>(script[(*turn)++ % script.size()] %
                                          unsigned(LookupMode::count));
      lookup(mode, host, family, std::move(done));
    };
  }

  /// Answers every stashed lookup now (their sockets may be closed, or
  /// gone: the answer must then be ignored).
  void answerStashed() {
    auto stashed = std::move(stashed_);
    stashed_.clear();
    for (auto& answer : stashed)
      answer();
  }

  /// Forgets the stashed lookups unanswered (the end of the program).
  void forget() { stashed_.clear(); }

 private:
  void lookup(LookupMode mode, std::string_view host, dgram::Family family,
              dgram::LookupCallback done) {
    auto [address, answerFamily] = answerTo(host, family);
    auto answer = [done, address = address, answerFamily = answerFamily] {
      done(std::nullopt, address, answerFamily);
    };
    switch (mode) {
      case LookupMode::now:
        answer();
        return;
      case LookupMode::fail:
        done(dgram::Error::lookup(-3008, "ENOTFOUND", std::string(host)), {},
             family);
        return;
      case LookupMode::posted:
        loop_->post(answer);
        return;
      case LookupMode::timed:
        loop_->setTimeout(std::chrono::milliseconds(address.size() % 3),
                          answer);
        return;
      case LookupMode::raise:
        ++thrown_;
        throw Thrown();
      case LookupMode::answerThenRaise:
        answer();
        ++thrown_;
        throw Thrown();
      case LookupMode::stash:
        stashed_.push_back(answer);
        return;
      case LookupMode::garbage:
        done(std::nullopt, "not-an-address", family);
        return;
      case LookupMode::count:
        return;
    }
  }

  /// A loopback literal answers as itself, anything else as the loopback
  /// of the family asked for: no answer leads anywhere but this host.
  static std::pair<std::string, dgram::Family> answerTo(std::string_view host,
                                                        dgram::Family family) {
    for (dgram::Family f : {dgram::Family::IPv4, dgram::Family::IPv6}) {
      auto ip = fuzz::osParseIp(host, f);
      if (ip && fuzz::isLoopback(*ip) && ip->scopeId == 0)
        return {std::string(host), f};
    }
    return {family == dgram::Family::IPv4 ? "127.0.0.1" : "::1", family};
  }

  std::unique_ptr<dgram::Loop>& loop_;
  long& thrown_;
  std::vector<std::function<void()>> stashed_;
};

}  // namespace seq
