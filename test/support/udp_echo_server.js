'use strict';
// A Node dgram echo server for dgramcat's end-to-end tests:
//   node udp_echo_server.js ADDRESS [SECONDS]
// binds ADDRESS on a free port, prints "port=<p>" once listening, sends
// every datagram back to its sender byte for byte, and exits after
// SECONDS (default 10) or when stdin ends.
const dgram = require('dgram');

const address = process.argv[2] || '127.0.0.1';
const seconds = Number(process.argv[3] || 10);
const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
socket.on('message', (msg, rinfo) => {
  socket.send(msg, rinfo.port, rinfo.address);
});
socket.on('error', (err) => {
  console.error(`echo server: ${err.message}`);
  process.exit(1);
});
socket.bind(0, address, () => {
  console.log(`port=${socket.address().port}`);
});
setTimeout(() => process.exit(0), seconds * 1000).unref();
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
setTimeout(() => {}, seconds * 1000);
