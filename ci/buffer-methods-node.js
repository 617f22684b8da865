#!/usr/bin/env node
// Prints what Node's Buffer answers for a table of reads, writes and
// concatenations: the reference test/buffer_methods.cpp replays against
// dgram::ByteView and dgram::Buffer. Regenerate the committed table with
//   node ci/buffer-methods-node.js > test/data/buffer_methods_node.tsv
// Columns (tab-separated): operation, buffer (hex; for concat the pieces,
// comma-separated), value ('-' for reads; for concat the total length or
// '-'), offset ('-' for concat), then what Node did: "ok <returned>
// <buffer after, hex>" or "err <code> <message>".
'use strict';

const rows = [];
const hex = (buf) => (buf.length ? buf.toString('hex') : '.');

function pattern(length) {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; ++i) buf[i] = (0x8f + i * 0x9b) & 0xff;
  return buf;
}

function record(op, bufText, value, offset, fn) {
  let result;
  try {
    const returned = fn();
    result = `ok ${returned.returned} ${returned.after}`;
  } catch (err) {
    result = `err ${err.code} ${err.message}`;
  }
  rows.push([op, bufText, value, offset, result].join('\t'));
}

const widths = { 8: 1, 16: 2, 32: 4, 64: 8 };
const reads = [];
const writes = [];
for (const bits of [8, 16, 32, 64]) {
  for (const signed of [false, true]) {
    const base = bits === 64 ? (signed ? 'BigInt64' : 'BigUInt64')
                             : (signed ? `Int${bits}` : `UInt${bits}`);
    const orders = bits === 8 ? [''] : ['BE', 'LE'];
    for (const order of orders) {
      const min = signed ? -(2n ** BigInt(bits - 1)) : 0n;
      const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
      reads.push({ name: `read${base}${order}`, width: widths[bits] });
      writes.push({ name: `write${base}${order}`, width: widths[bits], bits,
                    min, max });
    }
  }
}

// Reads at every offset from 0 to one past the last that fits.
for (const { name, width } of reads) {
  for (const length of [0, 1, 2, 3, 4, 7, 8, 9]) {
    const buf = pattern(length);
    for (let offset = 0; offset <= Math.max(length - width + 1, 1); ++offset) {
      record(name, hex(buf), '-', offset, () => ({
        returned: String(buf[name](offset)), after: hex(buf) }));
    }
  }
}

// Writes of the values around the type's limits (those a C++ int64_t or
// uint64_t can hold) at offsets around the end.
const int64Min = -(2n ** 63n);
const uint64Max = 2n ** 64n - 1n;
for (const { name, width, bits, min, max } of writes) {
  const candidates = [min - 1n, min, min + 1n, -1n, 0n, 1n, 0x5an,
                      max - 1n, max, max + 1n];
  const values = [...new Set(candidates.map(String))].map(BigInt)
      .filter((v) => v >= int64Min && v <= uint64Max);
  for (const length of [1, 8, 9]) {
    const offsets = [...new Set([0, 1, length - width, length - width + 1])]
        .filter((o) => o >= 0);
    for (const value of values) {
      for (const offset of offsets) {
        const buf = pattern(length);
        const arg = bits === 64 ? value : Number(value);
        record(name, hex(buf), String(value), offset, () => ({
          returned: String(buf[name](arg, offset)), after: hex(buf) }));
      }
    }
  }
}

// Buffer.concat, with and without a total length.
const lists = [[], [''], ['01'], ['01', '0203'], ['a0b1', '', 'c2']];
for (const list of lists) {
  for (const total of [undefined, 0, 2, 5]) {
    const pieces = list.map((h) => Buffer.from(h, 'hex'));
    const text = list.length ? list.map((h) => h || '.').join(',') : '-';
    record('concat', text, total === undefined ? '-' : String(total), '-',
           () => {
             const joined = total === undefined ? Buffer.concat(pieces)
                                                : Buffer.concat(pieces, total);
             return { returned: joined.length, after: hex(joined) };
           });
  }
}

console.log(`# Node ${process.version}: node ci/buffer-methods-node.js`);
for (const row of rows) console.log(row);
