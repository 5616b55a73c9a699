'use strict';
// Shared helpers of the bench/ scripts: argument parsing, seeded random
// numbers, latency statistics and .npy reading/writing. Node built-ins only.
const fs = require('fs');

// Parses "--name value", "--name=value" and bare flags. `flags` lists the
// options that take no value. Returns {_: [positional...], name: value}.
function parseArgs(argv, flags = []) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (flags.includes(name)) { out[name] = true; continue; }
    if (eq >= 0) out[name] = a.slice(eq + 1);
    else if (i + 1 < argv.length) out[name] = argv[++i];
    else throw new Error(`option --${name} needs a value`);
  }
  return out;
}

function parseShape(s) {
  const dims = String(s).split(/[xX,]/).map(Number);
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d <= 0)) throw new Error(`bad shape '${s}'`);
  return dims;
}

// splitmix64, the generator ptq uses for seeded choices.
function splitmix64(seed) {
  let state = BigInt.asUintN(64, BigInt(seed));
  return () => {
    state = BigInt.asUintN(64, state + 0x9E3779B97F4A7C15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94D049BB133111EBn);
    return z ^ (z >> 31n);
  };
}

// Uniform floats in [-1, 1), same values as `ptq bench --seed` for float32.
function randomFloats(n, seed) {
  const next = splitmix64(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * (Number(next() >> 11n) / 9007199254740992) - 1;
  return a;
}

// Same definitions as `ptq bench`: nearest-rank p90, midpoint median.
function latencyStats(ms) {
  const s = [...ms].sort((x, y) => x - y);
  const n = s.length;
  const rank = (p) => s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  const median = n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  return { min: s[0], median, p90: rank(90), mean: s.reduce((x, y) => x + y, 0) / n, max: s[n - 1] };
}

// Minimal NumPy .npy v1/v2/v3 reader/writer for little-endian C-order arrays.
const NPY_TYPES = { '<f4': Float32Array, '<f8': Float64Array, '|u1': Uint8Array, '<i4': Int32Array, '<i8': BigInt64Array, '|i1': Int8Array };

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  const T = NPY_TYPES[descr];
  if (!T) throw new Error(`${path}: dtype ${descr} not supported`);
  const off = hstart + hlen;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new T(n);
  new Uint8Array(data.buffer).set(buf.subarray(off, off + n * T.BYTES_PER_ELEMENT));
  return { descr, shape, data };
}

function writeNpy(path, descr, shape, typed) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const tmp = `${path}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength)]));
  fs.renameSync(tmp, path);
}

// Heuristic precision of an ONNX file: op_type strings are stored verbatim.
function modelPrecision(path) {
  const buf = fs.readFileSync(path);
  return ['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'ConvInteger', 'MatMulInteger'].some((op) => buf.includes(op)) ? 'int8' : 'fp32';
}

module.exports = { parseArgs, parseShape, splitmix64, randomFloats, latencyStats, readNpy, writeNpy, modelPrecision };
