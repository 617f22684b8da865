// Address literals as dgramcat reads them on the command line: which
// family a literal is, and the short IPv4 forms nc accepts ("127.1").
// Pure functions, no system calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dgramcat {

/// "a.b.c.d" with four decimal parts 0-255 and no leading zeros.
bool isDottedQuad(std::string_view text);

/// The IPv4 forms of inet_aton(3): one to four parts, each decimal, octal
/// (leading 0) or hexadecimal (0x), the last one filling the remaining
/// bytes ("127.1" = 127.0.0.1, "10.1.2" = 10.1.0.2, "0x7f.1" = 127.0.0.1).
/// Returns the dotted quad, or nothing when `text` is not such a form.
std::optional<std::string> expandIPv4(std::string_view text);

/// Whether `text` can only be an IPv6 literal (host names hold no ':').
bool looksIPv6(std::string_view text);

/// Whether `text` is a multicast literal: 224.0.0.0/4 or ff00::/8.
bool isMulticastLiteral(std::string_view text);

/// "::ffff:1.2.3.4" -> "1.2.3.4"; anything else unchanged.
std::string_view unmapIPv4(std::string_view address);

}  // namespace dgramcat
