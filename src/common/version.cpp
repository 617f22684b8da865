// The run-time version: what the library was built as, whatever headers
// its user compiled against.
// Layer: public API.
#include "dgram/version.hpp"

namespace dgram {

const char* version() noexcept {
  return DGRAM_VERSION_STRING;
}

int versionNumber() noexcept {
  return DGRAM_VERSION_NUMBER;
}

}  // namespace dgram
