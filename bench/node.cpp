// Node's dgram: runs node_dgram.js in a child process and reads back the
// datagrams it counted and the seconds they took.
#include <cstdio>

#include "bench.hpp"

namespace bench {

Result runNode(const Params& params, const std::string& script) {
  std::string command = "node '" + script + "' " + std::to_string(params.size) +
                        " " + std::to_string(params.count) + " " +
                        std::to_string(params.window) + " " +
                        std::to_string(params.recvBufferSize);
  FILE* child = ::popen(command.c_str(), "r");
  if (child == nullptr) fail("node: cannot start " + command);
  unsigned long long datagrams = 0;
  double seconds = 0;
  int fields = std::fscanf(child, "%llu %lf", &datagrams, &seconds);
  int status = ::pclose(child);
  if (fields != 2 || status != 0) fail("node: failed: " + command);
  return Result{datagrams, seconds};
}

}  // namespace bench
