// Node's dgram in the bench's windowed pattern (see bench.hpp).
// Usage: node node_dgram.js SIZE COUNT WINDOW RCVBUF
// Prints "datagrams seconds" for the bench driver.
'use strict';
const dgram = require('node:dgram');

const [size, count, window, recvBufferSize] = process.argv.slice(2).map(Number);
const data = Buffer.alloc(size, 'x');
const server = dgram.createSocket({ type: 'udp4', recvBufferSize });
const client = dgram.createSocket('udp4');
let sent = 0;
let received = 0;
let start;
let port;

const watchdog = setTimeout(() => {
  console.error(`node_dgram.js: stalled at ${received}/${count}`);
  process.exit(2);
}, 60000);
watchdog.unref();

server.on('message', () => {
  ++received;
  if (sent < count) {
    ++sent;
    client.send(data, port, '127.0.0.1');
  }
  if (received === count) {
    const [s, ns] = process.hrtime(start);
    console.log(`${received} ${s + ns / 1e9}`);
    server.close();
    client.close();
  }
});

server.bind(0, '127.0.0.1', () => {
  port = server.address().port;
  client.bind(0, '127.0.0.1', () => {
    start = process.hrtime();
    sent = Math.min(count, window);
    for (let i = 0; i < sent; ++i) client.send(data, port, '127.0.0.1');
  });
});
