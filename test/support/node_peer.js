'use strict';
// A Node dgram peer for the interop tests (test/udp_multicast_node_interop.cpp),
// run inside a network namespace:
//   node node_peer.js '{"type":"udp6","port":41240,"address":"fe80::2%lan0",
//                      "join":["ff12::1:7","::%lan0"],"echo":true}'
// It prints one line per event, words separated by single spaces:
//   listening address=<a> family=<f> port=<p>
//   message data=<d> address=<a> family=<f> port=<p> size=<n>
//   sent error=<code or none>
//   error code=<code> message=<...>
// and reads commands from stdin, one JSON object a line:
//   {"send":"<data>","port":<p>,"address":"<a>"}
//   {"multicastInterface":"<iface>"}
// It closes its socket and exits when stdin ends.
const dgram = require('dgram');
const readline = require('readline');

const config = JSON.parse(process.argv[2]);
const socket = dgram.createSocket({ type: config.type });

socket.on('error', (err) => {
  console.log(`error code=${err.code} message=${err.message}`);
});

socket.on('message', (msg, rinfo) => {
  const data = msg.toString();
  console.log(`message data=${data} address=${rinfo.address} ` +
              `family=${rinfo.family} port=${rinfo.port} size=${rinfo.size}`);
  if (config.echo) socket.send(`echo:${data}`, rinfo.port, rinfo.address);
});

socket.bind(config.port || 0, config.address || undefined, () => {
  if (config.join) socket.addMembership(config.join[0], config.join[1]);
  const local = socket.address();
  console.log(`listening address=${local.address} family=${local.family} ` +
              `port=${local.port}`);
});

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  const command = JSON.parse(line);
  if (command.multicastInterface !== undefined) {
    socket.setMulticastInterface(command.multicastInterface);
    console.log('sent error=none');
    return;
  }
  socket.send(command.send, command.port, command.address, (err) => {
    console.log(`sent error=${err ? err.code : 'none'}`);
  });
});
input.on('close', () => socket.close(() => process.exit(0)));
