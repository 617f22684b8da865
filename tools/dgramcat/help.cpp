// dgramcat's --help and --version texts.
#include "dgramcat/options.hpp"

#ifndef DGRAMCAT_VERSION
#define DGRAMCAT_VERSION "unknown"
#endif

namespace dgramcat {

std::string versionText() {
  return "dgramcat " DGRAMCAT_VERSION;
}

std::string helpText() {
  return R"(Usage: dgramcat [options] HOST PORT    send stdin to HOST:PORT, print replies
       dgramcat [options] -l PORT      print what arrives on PORT

A netcat for UDP, built on the dgram library.

Modes:
  HOST PORT           Send each line of stdin as one datagram, without its
                      line ending (\n or \r\n); an empty line is an empty
                      datagram. The socket is connected to HOST PORT:
                      replies are written to stdout as they are (raw), and
                      an ICMP error ("connection refused") ends the run
                      with status 1. Ends when stdin ends, everything is
                      sent and the -q wait is over (or every datagram has
                      had a reply). HOST may be a name, an IPv4 address
                      (short forms as in nc: 127.1) or an IPv6 address;
                      the family follows the address.
  -l, --listen PORT   Listen on PORT (0 = any free port) and print each
                      datagram on one line of stdout:
                        127.0.0.1:5000 (IPv4, 5 bytes): hello
                        [::1]:5000 (IPv6, 1 byte): x
                      Bytes other than printable ASCII are escaped as \n,
                      \r, \t, \\ or \xHH. Without -b, -4 or -6 it listens
                      on IPv4 and IPv6 both. Lines of stdin are sent to
                      the last sender. Ends only by --count, --timeout,
                      -w or a signal.

Options:
  -b, --bind ADDR     Local address to bind (default: all interfaces).
  -p, --source-port PORT
                      Local port to send from (default: any).
  -4, --ipv4          Use IPv4 (udp4).
  -6, --ipv6          Use IPv6 (udp6).
  -u, --udp           Accepted for nc habits; UDP is all dgramcat does.
  -m, --message TEXT  Send TEXT instead of reading stdin (with --count N,
                      N times).
  -d, --no-stdin      Do not read stdin.
      --whole         Send all of stdin as one datagram (binary-safe).
      --block N       Send stdin in datagrams of N bytes (binary-safe;
                      the last one may be shorter). N may end in k or m.
      --output lines|raw|hex
                      How datagrams are written: one escaped line each
                      (-l's default), the payload bytes only (the default
                      for replies), or a header line and a hex dump.
      --raw           Same as --output raw.
  -x, --hex           Same as --output hex.
  -t, --timestamp     Start each header line with the UTC time of arrival.
  -q, --wait S        After the input is sent, wait up to S seconds for
                      replies and ICMP errors (default 0.01; with --flood
                      1); ends sooner once every datagram has a reply.
  -w, --idle-timeout S
                      End (status 0) after S seconds without a datagram
                      sent or received.
      --rate N        Send at most N datagrams per second.
  -i, --interval S    Send one datagram every S seconds.
      --rcvbuf N, --sndbuf N
                      Receive and send buffer sizes in bytes (k, m).
  -e, --exec CMD      With -l: run `sh -c CMD` for each datagram, with the
                      payload on its stdin and the sender in
                      DGRAMCAT_PEER_ADDRESS and DGRAMCAT_PEER_PORT; its
                      output goes back to the sender (none: no reply).
                      Not supported on Windows.
      --stats[=text|json]
                      At the end (also on Ctrl-C), print datagrams and bytes
                      each way, the rate and, for numbered datagrams
                      (--flood, or payloads that are just a number, as
                      `seq 1 100` sends), how many were lost and reordered;
                      json: one JSON object on one line. On stderr.
      --flood         Load generator: send numbered datagrams of --size
                      bytes (default 64) at --rate (default: as fast as
                      possible) for --duration S (default 1) or --count N,
                      then ask the receiver (dgramcat -l) how many arrived
                      and report the loss. Replies from an echo server are
                      counted too.
      --size N        --flood's datagram size (12-65507).
      --duration S    --flood's sending time.
      --join GROUP[,IFACE]
                      Join multicast GROUP (repeatable), on the interface
                      with address IFACE (IPv4) or named IFACE (IPv6:
                      eth0, %eth0 or ::%eth0); default: the system's
                      choice.
      --source ADDR   With --join: source-specific, only datagrams from
                      ADDR.
      --multicast-interface IFACE
                      Send multicast out of IFACE (IPv4 address, or
                      ::%eth0 for IPv6).
      --multicast-loopback[=on|off]
                      Whether this host also gets its own multicast
                      (the system's default is on).
      --ttl N         Hop limit 0-255 of multicast (0: this host only)
                      and, if at least 1, of unicast datagrams.
      --broadcast     Allow sending to broadcast addresses (the socket is
                      then not connected).
      --reuse-port    Share the port with other --reuse-port sockets
                      (SO_REUSEPORT: the system spreads datagrams).
      --reuse-addr    Share the port (SO_REUSEADDR), e.g. several
                      multicast listeners on one host.
      --echo          With -l: also send every datagram back to its sender.
      --count N       Stop after N datagrams received (-l) or sent.
      --timeout S     Stop after S seconds (decimals allowed, e.g. 0.5).
  -v, --verbose       Report the local address and the end on stderr.
  -h, --help          Print this help and exit.
      --version       Print the version and exit.

Long options also take their value as --name=VALUE; short ones as -lPORT.
Short flags bundle: -lv 9000, -ulv 9000. "--" ends the options.

Exit status:
  0  done: --count reached, stdin ended and all of it sent, the message
     sent, -w idle, SIGINT or SIGTERM, or --timeout expired with nothing
     asked for left undone
  1  runtime error (such as EADDRINUSE, ENOTFOUND, connection refused, a
     failed write to stdout), or --timeout expired before --count was
     reached, before the message was sent, or while a line read from
     stdin was still being sent
  2  bad arguments
)";
}

}  // namespace dgramcat
