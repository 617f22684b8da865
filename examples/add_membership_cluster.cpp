// socket.addMembership() example from Node's dgram documentation.
//
// The Node version forks two `cluster` workers. Cluster workers share the
// primary's socket handle, so both workers' addMembership() calls land on
// one socket and the second fails with EADDRINUSE. C++ has no cluster
// module: this program is the worker branch only, with the same socket
// calls. (Run two copies and the second gets EADDRINUSE too, but from
// bind(1234), since nothing shares the handle; the rule to keep is the
// documented one: join a group once per socket.) Like a Node worker, it
// keeps running.
#include <dgram/dgram.hpp>

int main() {
  const auto s = dgram::createSocket("udp4");
  s->bind(1234, [&] { s->addMembership("224.0.0.114"); });

  dgram::run();
}
