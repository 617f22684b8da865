// dgram::Loop: the public face of LoopCore, and the backend choice.
// Layer: public API.
#include <chrono>
#include <cstdlib>
#include <string>

#include "common/backend.hpp"
#include "common/loop_core.hpp"
#include "common/raise.hpp"
#include "dgram/error.hpp"
#include "dgram/loop.hpp"

namespace dgram {
namespace {

// The one place that picks a backend: the DGRAM_BACKEND environment
// variable when set (so one build can run its tests on every backend),
// else the configured default.
std::string_view defaultBackendName() {
  if (const char* env = std::getenv("DGRAM_BACKEND"); env && *env) return env;
  return DGRAM_DEFAULT_BACKEND;
}

// Options a loop can take, or ERR_OUT_OF_RANGE.
const LoopOptions& validated(const LoopOptions& options) {
  constexpr std::chrono::microseconds kLongestSpin = std::chrono::seconds(1);
  if (options.maxSpin.count() < 0 || options.maxSpin > kLongestSpin)
    detail::throwError(
        Error("ERR_OUT_OF_RANGE",
              "The value of \"maxSpin\" is out of range. It must be >= 0 "
              "&& <= " +
                  std::to_string(kLongestSpin.count()) + ". Received " +
                  std::to_string(options.maxSpin.count())));
  return options;
}

}  // namespace

Loop::Loop() : Loop(defaultBackendName()) {}

Loop::Loop(std::string_view backend) : core_(std::make_unique<Core>(backend)) {
  core_->setPublicLoop(*this);
}

Loop::Loop(const LoopOptions& options) : Loop(defaultBackendName(), options) {}

Loop::Loop(std::string_view backend, const LoopOptions& options)
    : Loop(backend) {
  setOptions(options);
}

Loop::~Loop() = default;

Loop& Loop::defaultLoop() {
  static Loop loop;
  return loop;
}

std::vector<std::string_view> Loop::availableBackends() {
  return detail::platformBackends();
}

void Loop::run() {
  core_->run();
}

bool Loop::runOnce(std::chrono::milliseconds timeout) {
  bool alive = core_->runOnce(static_cast<int>(timeout.count()));
  core_->takeStopRequest();
  return alive;
}

void Loop::stop() {
  core_->stop();
}

void Loop::post(std::function<void()> fn) {
  core_->post(std::move(fn));
}

std::string_view Loop::backend() const {
  return core_->backend().name();
}

void Loop::setOptions(const LoopOptions& options) {
  core_->setMaxSpin(validated(options).maxSpin);
}

LoopOptions Loop::options() const {
  LoopOptions options;
  options.maxSpin = std::chrono::duration_cast<std::chrono::microseconds>(
      core_->spinBudget().maximum());
  return options;
}

void Loop::setResolverOptions(const ResolverOptions& options) {
  core_->setResolverOptions(options);
}

void Loop::setResolverOptions(const ResolverOptions& options,
                              std::optional<Error>& error) {
  error.reset();
  core_->setResolverOptions(options, &error);
}

void run() {
  Loop::defaultLoop().run();
}

}  // namespace dgram
