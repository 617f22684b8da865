// The sequence fuzzer's ledger: every callback the program registers, how
// often it may run and how often it did, and where it may run from (only
// from inside runOnce, never inside the call that registered it, never
// after its loop is gone).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../fuzz_support.hpp"

namespace seq {

/// DGRAM_SEQ_TRACE=1 prints the program's operations and events as they
/// happen (to read a finding, or check what a seed reaches).
inline bool tracing() {
  static const bool on = std::getenv("DGRAM_SEQ_TRACE") != nullptr;
  return on;
}

/// One registered callback and how often it may and did run.
struct Expectation {
  std::string what;
  int calls = 0;
  bool registering = true;  // the registering call has not returned yet
  bool cancelled = false;   // never to run (a throwing call, a cleared timer)
  bool optional = false;    // may be skipped: a listener ahead of it threw
  int connectOf = -1;       // a connect callback: the record it belongs to
  int loop = 0;             // the loop it was registered on
  bool repeats = false;     // an interval: any number of runs
  bool armed = true;        // may run now (once per arming)
};

class Ledger {
 public:
  /// The loop callbacks are registered on now (a number: loops are
  /// replaced when the program destroys one).
  int loop() const { return loop_; }

  /// A callback about to be registered; returns its id.
  int expect(std::string what, bool optional) {
    Expectation e;
    e.what = std::move(what);
    e.optional = optional;
    e.loop = loop_;
    all_.push_back(std::move(e));
    return static_cast<int>(all_.size()) - 1;
  }
  /// The registering call returned (or threw: then it registered nothing).
  void registered(int id, bool threw) {
    all_[id].registering = false;
    all_[id].cancelled = threw;
  }
  /// The callback runs now.
  void ran(int id) {
    Expectation& e = all_[id];
    if (tracing())
      std::fprintf(stderr, "seq:   %s #%d runs\n", e.what.c_str(), id);
    inLoop(e.what);
    fuzz::check(e.loop == loop_, e.what + " ran after its loop died");
    fuzz::check(!e.registering, e.what + " ran inside the registering call");
    fuzz::check(!e.cancelled, e.what + " ran after it was cancelled");
    ++e.calls;
    if (e.repeats) return;
    fuzz::check(e.armed, e.what + " ran twice");
    e.armed = false;
  }
  /// Cleared (a timer): never runs again.
  void cancel(int id) {
    all_[id].cancelled = true;
    all_[id].armed = false;
  }
  /// The loop is destroyed: nothing registered on it runs any more, and
  /// what had not run never will.
  void loopDestroyed() {
    for (auto& e : all_) {
      if (e.loop != loop_) continue;
      if (e.calls == 0 || e.repeats || e.armed) e.cancelled = true;
      e.optional = true;
    }
    ++loop_;
  }

  Expectation& operator[](int id) { return all_[id]; }
  std::vector<Expectation>& all() { return all_; }

  // --- where callbacks run
  /// runOnce is on the stack while one of these lives.
  struct InRunOnce {
    explicit InRunOnce(Ledger& ledger) : depth(ledger.inRunOnce_) { ++depth; }
    ~InRunOnce() { --depth; }
    InRunOnce(const InRunOnce&) = delete;
    InRunOnce& operator=(const InRunOnce&) = delete;
    int& depth;
  };
  /// Every callback runs on the loop, from runOnce only: never inside a
  /// call the program makes between two runOnce (create, send, close...).
  void inLoop(const std::string& what) const {
    fuzz::check(inRunOnce_ > 0, what + " ran outside runOnce");
  }

 private:
  std::vector<Expectation> all_;
  int loop_ = 0;
  int inRunOnce_ = 0;
};

}  // namespace seq
