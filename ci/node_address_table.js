'use strict';
// Records how Node reads host text: for every host below and each family,
// what dns.lookup(host, {family, all: true}) answers, where a connected
// dgram socket of that family ends up (connect(9, host), remoteAddress()),
// and what bind(0, host) binds (address()). Run by
// ci/node-address-table.sh inside fresh mount and network namespaces whose
// resolver is dead (test/node_address/resolv.conf) and whose hosts file is
// test/node_address/hosts; test/node_address_table.cpp replays the result
// against dgram. Nothing is sent: lookups, UDP connect and bind put no
// datagram on the wire (the DNS queries of the names go to the dead
// loopback server and are refused at once).
//
// Output, one line per host and family, tab-separated:
//   <host as UTF-8 hex> <family> <lookup> <connect> <bind> <host as JSON>
// where <lookup> is "=" and the addresses (space-separated) or "!CODE",
// and <connect>/<bind> are "=" and the address or "!CODE syscall".
const dgram = require('dgram');
const dns = require('dns');

const long = (n, c = 'a') => c.repeat(n);
// A name of `total` characters: 62-character labels, the last one shorter
// (for the totals used here it is never empty).
const longName = (total) => `${long(62, 'b')}.`.repeat(5).slice(0, total);

const hosts = [
  // Dotted quads as inet_pton reads them.
  '127.0.0.1', '0.0.0.0', '255.255.255.255', '127.255.255.254', '1.2.3.4',
  '198.18.0.1', '127.0.0.8',
  // Shorthand (inet_aton): fewer parts, the last fills the rest.
  '127.1', '127.0.1', '1', '0', '9', '2130706433', '4294967295', '4294967296',
  '127.16777215', '127.16777216', '127.0.65535', '127.0.65536', '1.2.3',
  '255.255.255.256', '18446744073709551617', '127.0.0.1.',
  // Octal.
  '127.0.0.010', '0177.0.0.1', '0177.1', '017700000001', '127.0.0.08',
  '127.0.0.09', '08', '00', '0127.0.0.1', '000000000177.0.0.1',
  '127.0.0.0377', '127.0.0.0400', '0.0.0.00', '01.02.03.04',
  // Hex.
  '0x7f.1', '0x7F000001', '0x7f.0.0.1', '0X7F.0.0.1', '0x', '0x.1', '1.0x',
  '0x100000000', '0xffffffff', '0x7f.0x0.0x0.0x1', '0x7g.0.0.1', '1.2.3.0x4',
  '0x00007f.1', '0x7f.0.0.0x100', '0x0x7f.1', '0xAbCdEf01',
  // Other near-numbers.
  '1.2.3.4.5', '256.1.1.1', '1..2.3', '.1.2.3', '1.2.3.', '127.1.',
  '1.2.3.-4', '+1.2.3.4', '1.2.3.4a', '1e5', '1.2.3.4e', '-1', '1.2.3.4.',
  '127.0.0.08.', '1.2.3.4.5.6.7.8',
  // IPv6.
  '::1', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '::127.0.0.1',
  '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::', 'fe80::1',
  'FE80::1', '2001:db8::1', '::ffff:127.0.0.010', '::ffff:1.2.3.04',
  '1:2:3:4:5:6:7:8:9', ':::1', '::1::', '1:::2', '::12345', '::g', '::1.2.3',
  '::ffff:1.2.3.4.5', '1:2:3:4:5:6:7', ':1', '1:', '0::0:1', '::0.0.0.1',
  '::ffff:0.0.0.0', '::FFFF:127.0.0.1', '1:2:3:4:5:6:127.0.0.1',
  '0000:0000:0000:0000:0000:ffff:127.0.0.1', '::00001', 'ff02::1',
  // Zones.
  '::1%lo', '::1%1', '::1%0', '::1%nosuchif0', '::1%99999', '::1%4294967295',
  '::1%4294967296', '::1%', 'fe80::1%', 'fe80::1%lo', 'fe80::1%1',
  'fe80::1%nosuchif0', 'fe80::1%eth_0', '::1%lo%x', '::1%lo.1', '::1%a-b.c:d',
  '::1%-', '::1%:', 'ff02::1%lo', 'fe80::1%LO', '::ffff:127.0.0.1%lo',
  '127.0.0.1%lo', '127.0.0.1%1', '::1%lo0', '::1%%', '::1%/64', '::1%lo/64',
  'fe80::1%2', '::1%' + long(20, 'x'), '::1%' + long(300, 'x'), '::1%lo!',
  '0000:0000:0000:0000:0000:ffff:127.0.0.1%lo', '::1%\u00e9', '%lo', '%',
  // Brackets, ports, prefixes, other punctuation around addresses.
  '[::1]', '[127.0.0.1]', '[::1]:80', '[fe80::1%lo]', '1.2.3.4:80',
  '127.0.0.1:9', '::1/64', '::1/128', '127.0.0.1/8', '127.0.0.1/32',
  'fe80::1%lo/64', '[::1', '::1]', '127.0.0.1:', 'localhost:80',
  '127.0.0.1#53', '::1#53', '127.0.0.1,::1', '127.0.0.1;', '<127.0.0.1>',
  // Whitespace and control bytes (refused without a lookup: deliberate).
  ' 127.0.0.1', '127.0.0.1 ', '\t127.0.0.1', '127.0.0.1\n', '127.0.0.1\r\n',
  '127.0.0.1\0.evil.example', 'localhost\0', '\0', 'a b', '::1 ', '\x7f',
  'loc\x01alhost', '127.0.0.1\x0b', '\u00a0127.0.0.1', '127.0.0.1\u3000',
  ' ', 'example.com\t',
  // Names: the hosts file and the dead DNS server.
  'localhost', 'LOCALHOST', 'LocalHost', 'localhost.', 'localhost..',
  '.localhost', 'localhost.localdomain', 'foo.localhost', 'ip6-localhost',
  'ip6-loopback', 'xn--bcher-kva.example', 'XN--BCHER-KVA.example',
  'mixed.case.example', 'MIXED.CASE.EXAMPLE', 'alias.example',
  'only4.example', 'only6.example', 'mapped.example', 'under_score.example',
  'odd!name', 'twice.example', 'example.com', 'example.com.', 'foo', 'a',
  'a.', '.', '..', '.a', 'a..b', '-a', 'a-', 'a.-b', '_a', 'a_b', 'a!b',
  'a\\.b', 'a\\b', 'a\\065', 'example.onion', '1e100.net', 'a.123', '123.a',
  '0x.example', '127.0.0.1.example', '4.3.2.1.in-addr.arpa', '*', '*.example',
  'a/b', 'a:b', 'a@b', 'a%b', ':', '[', ']', '@', 'a,b', 'a"b', 'a\'b',
  '-', '_', 'a~b', 'a=b', 'a+b', 'abc:', 'g::1',
  // Long labels and names.
  long(63) + '.example', long(64) + '.example', longName(253),
  longName(254), longName(255), longName(256), long(1000) + '.example',
  long(63), long(64),
  // IDN (Node converts with UTS 46 before getaddrinfo).
  'bücher.example', 'BÜCHER.example', 'Bücher.example', 'bücher\u3002example',
  '\uff21\uff22.example', '\uff11\uff12\uff17.0.0.1', '127\u30020\u30020\u30021',
  '1.2.3.\uff14', '\u4f8b\u3048.\u30c6\u30b9\u30c8', 'xn--zz', 'xn--',
  'a\u200db.example', '\u00df.example', '\u0430.example',
  long(60, '\u00fc') + '.example', 'a\u00adb.example', 'm\u00fcnchen.de',
  '\u00e9', '\ufffd',
  // Empty: the loopback for connect, the any address for bind.
  '',
];

function lookup(host, family) {
  return new Promise((resolve) => {
    dns.lookup(host, { family, all: true }, (err, addresses) => {
      if (err) resolve(`!${err.code}`);
      else resolve(`=${addresses.map((a) => a.address).join(' ')}`);
    });
  });
}

function outcome(err) {
  return `!${err.code} ${err.syscall}`;
}

function connect(host, family) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(`udp${family}`);
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      socket.close();
      resolve(result);
    };
    socket.on('error', (err) => finish(outcome(err)));
    socket.connect(9, host, (err) => {
      if (err) finish(outcome(err));
      else finish(`=${socket.remoteAddress().address}`);
    });
  });
}

function bind(host, family) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(`udp${family}`);
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      socket.close();
      resolve(result);
    };
    socket.on('error', (err) => finish(outcome(err)));
    socket.bind(0, host, () => finish(`=${socket.address().address}`));
  });
}

async function main() {
  const seen = new Set();
  const lines = [];
  for (const host of hosts) {
    if (seen.has(host)) throw new Error(`listed twice: ${JSON.stringify(host)}`);
    seen.add(host);
    for (const family of [4, 6]) {
      const row = [
        Buffer.from(host, 'utf8').toString('hex') || '-',
        family,
        await lookup(host, family),
        await connect(host, family),
        await bind(host, family),
        JSON.stringify(host),
      ];
      lines.push(row.join('\t'));
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`${hosts.length} hosts, ${lines.length} rows\n`);
}

main();
