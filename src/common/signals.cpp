// A loop's signal watchers (signals.hpp) and the public face of them:
// Loop::onSignal and SignalWatcher.
// Layer: common state machine.
#include "common/signals.hpp"

#include <utility>

#include "common/errors.hpp"
#include "common/loop_core.hpp"
#include "dgram/loop.hpp"

namespace dgram::detail {

SignalWatchers& LoopCore::signals() {
  if (!signals_) signals_ = std::make_unique<SignalWatchers>(*this);
  return *signals_;
}

SignalWatchers::~SignalWatchers() {
  // The loop is going away: its refs no longer matter, but the process's
  // handlers must stop writing to this loop.
  if (!source_) return;
  // One unlisten per signal, as there was one listen.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    bool first = true;
    for (std::size_t j = 0; j < i; ++j)
      if (entries_[j].signum == entries_[i].signum) first = false;
    if (first) source_->unlisten(entries_[i].signum);
  }
}

std::size_t SignalWatchers::indexOf(std::uint64_t id) const noexcept {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].id == id) return i;
  return entries_.size();
}

bool SignalWatchers::watched(int signum) const noexcept {
  for (const Entry& entry : entries_)
    if (entry.signum == signum) return true;
  return false;
}

std::uint64_t SignalWatchers::start(int signum, SignalListener fn,
                                    std::optional<Error>& error) {
  const char* syscall = "";
  if (!source_) {
    SysError failed;
    source_ = loop_.backend().createSignalSource(loop_, *this, failed, syscall);
    if (!source_) {
      error = errnoException(failed, syscall);
      return 0;
    }
  }
  // One listen per signal and loop, however many watchers it has.
  if (!watched(signum)) {
    if (SysError failed = source_->listen(signum, syscall)) {
      error = errnoException(failed, syscall);
      return 0;
    }
  }
  std::uint64_t id = nextId_++;
  entries_.push_back(Entry{
      id, signum, std::make_shared<SignalListener>(std::move(fn)), false});
  return id;
}

void SignalWatchers::stop(std::uint64_t id) {
  std::size_t index = indexOf(id);
  if (index == entries_.size()) return;
  Entry entry = std::move(entries_[index]);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index));
  if (entry.ref) loop_.removeHandleRef();
  if (!watched(entry.signum)) source_->unlisten(entry.signum);
  // `entry.fn` goes here, or when its call returns if it is running.
}

bool SignalWatchers::active(std::uint64_t id) const noexcept {
  return indexOf(id) != entries_.size();
}

void SignalWatchers::setRef(std::uint64_t id, bool ref) {
  std::size_t index = indexOf(id);
  if (index == entries_.size() || entries_[index].ref == ref) return;
  entries_[index].ref = ref;
  if (ref)
    loop_.addHandleRef();
  else
    loop_.removeHandleRef();
}

bool SignalWatchers::hasRef(std::uint64_t id) const noexcept {
  std::size_t index = indexOf(id);
  return index != entries_.size() && entries_[index].ref;
}

void SignalWatchers::signalArrived(int signum) {
  // The watchers of `signum` when it arrived, in the order they were
  // started; a callback may stop or start watchers meanwhile (one stopped
  // before its turn is not called, one started is called next time).
  std::vector<std::uint64_t> ids;
  for (const Entry& entry : entries_)
    if (entry.signum == signum) ids.push_back(entry.id);
  for (std::uint64_t id : ids) {
    std::size_t index = indexOf(id);
    if (index == entries_.size()) continue;
    std::shared_ptr<SignalListener> fn = entries_[index].fn;
    (*fn)(signum);
  }
}

}  // namespace dgram::detail

namespace dgram {

SignalWatcher Loop::onSignal(int signum, SignalListener fn,
                             std::optional<Error>& error) {
  error.reset();
  if (!detail::isSignalNumber(signum)) throw detail::errUnknownSignal(signum);
  if (!fn) throw detail::errCallbackMissing("listener");
  std::uint64_t id = core_->signals().start(signum, std::move(fn), error);
  if (id == 0) return SignalWatcher();
  return SignalWatcher(*this, id, signum);
}

SignalWatcher Loop::onSignal(int signum, SignalListener fn) {
  std::optional<Error> error;
  SignalWatcher watcher = onSignal(signum, std::move(fn), error);
  if (error) throw *error;
  return watcher;
}

bool SignalWatcher::active() const {
  return loop_ && coreOf(*loop_).signals().active(id_);
}

SignalWatcher& SignalWatcher::ref() {
  if (loop_) coreOf(*loop_).signals().setRef(id_, true);
  return *this;
}

SignalWatcher& SignalWatcher::unref() {
  if (loop_) coreOf(*loop_).signals().setRef(id_, false);
  return *this;
}

bool SignalWatcher::hasRef() const {
  return loop_ && coreOf(*loop_).signals().hasRef(id_);
}

void SignalWatcher::stop() {
  if (loop_) coreOf(*loop_).signals().stop(id_);
}

SignalWatcher onSignal(int signum, SignalListener fn) {
  return Loop::defaultLoop().onSignal(signum, std::move(fn));
}

}  // namespace dgram
