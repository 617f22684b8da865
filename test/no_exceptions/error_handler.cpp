// Where a raised error goes. With exceptions off: to the ErrorHandler,
// which must not return; the default prints the code and message and
// aborts, and so does the library after a handler that returned. Each
// case runs in a child process (fork), whose exit and stderr are checked.
// With exceptions on: the same calls throw, and the handler is never
// called.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include <dgram/dgram.hpp>

#include "check.hpp"

#if !DGRAM_EXCEPTIONS && !defined(_WIN32)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

using dgram::Error;

// Binds `socket` to 127.0.0.1 on a free port and waits for 'listening'.
[[maybe_unused]] int bindLoopback(dgram::Loop& loop, dgram::Socket& socket) {
  bool listening = false;
  socket.bind(0, "127.0.0.1", [&] { listening = true; });
  check::runUntil(loop, [&] { return listening; });
  return socket.address().port;
}

// The raising cases, each ends in the handler (or a throw).
[[maybe_unused]] void sendToPortZero() {
  auto socket = dgram::createSocket(dgram::Type::udp4);
  socket->send("x", 0, "127.0.0.1");
}

[[maybe_unused]] void setTtlZero() {
  auto socket = dgram::createSocket(dgram::Type::udp4);
  socket->setTTL(0);
}

[[maybe_unused]] void unknownBackend() {
  dgram::Loop loop("no-such-backend");
}

// An 'error' emitted with no listener: EADDRINUSE from a second bind to a
// port in use, raised from the loop's run.
[[maybe_unused]] void unhandledErrorEvent() {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.loop = &loop;
  auto first = dgram::createSocket(options);
  int port = bindLoopback(loop, *first);
  auto second = dgram::createSocket(options);
  second->bind(port, "127.0.0.1");
  check::runUntil(loop, [] { return false; });
}

bool gHandlerCalled = false;

[[maybe_unused]] void recordingHandler(const Error&) {
  gHandlerCalled = true;
}

#if DGRAM_EXCEPTIONS

// The code thrown by `fn` ("none" if nothing is).
std::string thrownCode(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.code();
  }
  return "none";
}

int runCases() {
  CHECK(dgram::setErrorHandler(&recordingHandler) != nullptr);
  CHECK(thrownCode(sendToPortZero) == "ERR_SOCKET_BAD_PORT");
  CHECK(thrownCode(setTtlZero) == "EINVAL");
  CHECK(thrownCode(unknownBackend) == "ERR_INVALID_ARG_VALUE");
  CHECK(thrownCode(unhandledErrorEvent) == "EADDRINUSE");
  CHECK(!gHandlerCalled);
  std::printf(
      "error_handler (exceptions on): errors thrown, handler "
      "never called: %d failed\n",
      check::failures);
  return check::failures == 0 ? 0 : 1;
}

#elif !defined(_WIN32)

// A handler that ends the process with a known status.
void exitingHandler(const Error& error) {
  std::fprintf(stderr, "handled: %s: %s\n", error.code().c_str(), error.what());
  std::fflush(stderr);
  std::_Exit(42);
}

// A handler that breaks the rule and returns.
void returningHandler(const Error& error) {
  std::fprintf(stderr, "returning from the handler for %s\n",
               error.code().c_str());
}

struct Outcome {
  int status = 0;  // waitpid's
  std::string stderrText;
};

// Runs `fn` in a child process with `handler` installed (nullptr = the
// default) and stderr captured; the child exits 3 if `fn` returns.
Outcome inChild(dgram::ErrorHandler handler, void (*fn)()) {
  Outcome outcome;
  int pipeFds[2];
  if (::pipe(pipeFds) != 0) return outcome;
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(60);  // a hang ends as SIGALRM, a failure
    ::dup2(pipeFds[1], 2);
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
    if (handler) dgram::setErrorHandler(handler);
    fn();
    std::_Exit(3);
  }
  ::close(pipeFds[1]);
  char buffer[512];
  ssize_t n;
  while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0)
    outcome.stderrText.append(buffer, static_cast<std::size_t>(n));
  ::close(pipeFds[0]);
  ::waitpid(pid, &outcome.status, 0);
  return outcome;
}

bool exitedWith(const Outcome& outcome, int code) {
  return WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == code;
}

bool aborted(const Outcome& outcome) {
  return WIFSIGNALED(outcome.status) && WTERMSIG(outcome.status) == SIGABRT;
}

bool contains(const Outcome& outcome, const std::string& text) {
  return outcome.stderrText.find(text) != std::string::npos;
}

#define CHECK_OUTCOME(expr, outcome)                                  \
  ::check::report(static_cast<bool>(expr), #expr, __FILE__, __LINE__, \
                  "status " + std::to_string((outcome).status) +      \
                      ", stderr: " + (outcome).stderrText)

int runCases() {
  // The default is in force until one is set, and comes back for nullptr.
  dgram::ErrorHandler standard = dgram::errorHandler();
  CHECK(standard != nullptr);
  CHECK(dgram::setErrorHandler(&recordingHandler) == standard);
  CHECK(dgram::errorHandler() == &recordingHandler);
  CHECK(dgram::setErrorHandler(nullptr) == &recordingHandler);
  CHECK(dgram::errorHandler() == standard);

  Outcome port = inChild(&exitingHandler, sendToPortZero);
  CHECK_OUTCOME(exitedWith(port, 42), port);
  CHECK_OUTCOME(contains(port, "handled: ERR_SOCKET_BAD_PORT: "), port);

  Outcome backend = inChild(&exitingHandler, unknownBackend);
  CHECK_OUTCOME(exitedWith(backend, 42), backend);
  CHECK_OUTCOME(contains(backend, "handled: ERR_INVALID_ARG_VALUE: "), backend);

  // 'error' with no listener: to the handler, from inside the loop's run.
  Outcome unhandled = inChild(&exitingHandler, unhandledErrorEvent);
  CHECK_OUTCOME(exitedWith(unhandled, 42), unhandled);
  CHECK_OUTCOME(contains(unhandled, "handled: EADDRINUSE: bind EADDRINUSE"),
                unhandled);

  // The default handler: code and message on stderr, then abort.
  Outcome standardRun = inChild(nullptr, setTtlZero);
  CHECK_OUTCOME(aborted(standardRun), standardRun);
  CHECK_OUTCOME(contains(standardRun, "dgram: EINVAL: setTTL EINVAL"),
                standardRun);

  // A handler that returns: the library aborts all the same.
  Outcome returned = inChild(&returningHandler, sendToPortZero);
  CHECK_OUTCOME(aborted(returned), returned);
  CHECK_OUTCOME(
      contains(returned, "returning from the handler for ERR_SOCKET_BAD_PORT"),
      returned);
  CHECK_OUTCOME(contains(returned, "dgram: ERR_SOCKET_BAD_PORT: "), returned);

  std::printf("error_handler (exceptions off): %d failed\n", check::failures);
  return check::failures == 0 ? 0 : 1;
}

#else

int runCases() {
  std::printf("SKIPPED: error_handler without exceptions needs fork()\n");
  return 77;
}

#endif

}  // namespace

int main() {
  return runCases();
}
