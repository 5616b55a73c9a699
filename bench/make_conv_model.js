#!/usr/bin/env node
'use strict';
// Writes the two one-layer models that measure the convolution peak:
//
//   OUT_DIR/conv-fp32.onnx  x[N,256,28,28] -> Conv 3x3 256->256 pad 1 (+bias) -> Relu -> y
//   OUT_DIR/conv-qdq.onnx   the same layer in the QDQ layout ONNX Runtime's
//                           quantize_static writes: x -> Q/DQ (uint8), weights
//                           int8 per-channel symmetric -> DQ(axis 0), bias int32
//                           -> DQ, Conv, output Q/DQ with zero point 0 (Relu
//                           folded into the output range).
//
// 462.4 M MACs per image (256*256*9*28*28). Weights are seeded random numbers.
// The ONNX protobuf is encoded by hand (Node has no protobuf built in):
// field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto, TypeProto).
//
//   node bench/make_conv_model.js OUT_DIR [--channels 256] [--size 28]
const fs = require('fs');
const path = require('path');
const { parseArgs, splitmix64 } = require('./lib');

// ---- protobuf wire format ----
function varint(v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const fInt = (field, v) => Buffer.concat([key(field, 0), varint(v)]);
const fBytes = (field, b) => Buffer.concat([key(field, 2), varint(b.length), b]);
const fStr = (field, s) => fBytes(field, Buffer.from(s, 'utf8'));
const fMsg = (field, parts) => fBytes(field, Buffer.concat(parts));
const fFloat = (field, v) => { const b = Buffer.alloc(4); b.writeFloatLE(v); return Buffer.concat([key(field, 5), b]); };

// ---- ONNX messages ----
const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6 };
const attrInts = (name, ints) => fMsg(5, [fStr(1, name), fInt(20, 7), ...ints.map((v) => fInt(8, v))]);
const attrInt = (name, v) => fMsg(5, [fStr(1, name), fInt(20, 2), fInt(3, v)]);
const node = (op, inputs, outputs, name, attrs = []) =>
  fMsg(1, [...inputs.map((s) => fStr(1, s)), ...outputs.map((s) => fStr(2, s)), fStr(3, name), fStr(4, op), ...attrs]);
function tensor(name, dtype, dims, typed) {
  return fMsg(5, [...dims.map((d) => fInt(1, d)), fInt(2, dtype), fStr(8, name),
    fBytes(9, Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength))]);
}
// dims: numbers or strings (symbolic)
function valueInfo(field, name, dtype, dims) {
  const dimMsgs = dims.map((d) => fMsg(1, [typeof d === 'string' ? fStr(2, d) : fInt(1, d)]));
  return fMsg(field, [fStr(1, name), fMsg(2, [fMsg(1, [fInt(1, dtype), fMsg(2, dimMsgs)])])]);
}
function model(graphParts) {
  return Buffer.concat([fInt(1, 7), fStr(2, 'ptq-bench'), fStr(3, '0.1'), fMsg(7, graphParts), fMsg(8, [fStr(1, ''), fInt(2, 13)])]);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args._.length !== 1) { console.error('usage: node make_conv_model.js OUT_DIR [--channels 256] [--size 28]'); process.exit(2); }
  const outDir = args._[0];
  const C = Number(args.channels || 256), S = Number(args.size || 28), K = 3;
  fs.mkdirSync(outDir, { recursive: true });
  const rnd = splitmix64(42);
  const uni = () => Number(rnd() >> 11n) / 9007199254740992; // [0, 1)

  const wRange = 1 / Math.sqrt(C * K * K); // keeps outputs O(1) for inputs in [-1, 1)
  const nW = C * C * K * K;
  const w = new Float32Array(nW);
  for (let i = 0; i < nW; i++) w[i] = (2 * uni() - 1) * wRange;
  const b = new Float32Array(C);
  for (let i = 0; i < C; i++) b[i] = (2 * uni() - 1) * 0.1;
  const convAttrs = [attrInts('kernel_shape', [K, K]), attrInts('pads', [1, 1, 1, 1]), attrInts('strides', [1, 1])];
  const xInfo = valueInfo(11, 'x', DT.FLOAT, ['N', C, S, S]);
  const yInfo = valueInfo(12, 'y', DT.FLOAT, ['N', C, S, S]);

  // FP32
  const fp32 = model([
    node('Conv', ['x', 'w', 'b'], ['conv'], 'conv', convAttrs),
    node('Relu', ['conv'], ['y'], 'relu'),
    fStr(2, 'conv_peak_fp32'),
    tensor('w', DT.FLOAT, [C, C, K, K], w),
    tensor('b', DT.FLOAT, [C], b),
    xInfo, yInfo,
  ]);

  // QDQ int8: x in [-1, 1) -> uint8 scale 2/255 zero point 128; weights
  // symmetric per output channel; output [0, 4] -> uint8 zero point 0.
  const xScale = 2 / 255, yScale = 4 / 255;
  const wq = new Int8Array(nW), ws = new Float32Array(C), bq = new Int32Array(C);
  for (let o = 0; o < C; o++) {
    let m = 0;
    for (let i = o * C * K * K; i < (o + 1) * C * K * K; i++) m = Math.max(m, Math.abs(w[i]));
    ws[o] = (m || 1) / 127;
    for (let i = o * C * K * K; i < (o + 1) * C * K * K; i++) wq[i] = Math.round(w[i] / ws[o]);
    bq[o] = Math.round(b[o] / (xScale * ws[o]));
  }
  const bs = new Float32Array(C);
  for (let o = 0; o < C; o++) bs[o] = xScale * ws[o];
  const qdq = model([
    node('QuantizeLinear', ['x', 'x_scale', 'x_zp'], ['x_q'], 'x_quant'),
    node('DequantizeLinear', ['x_q', 'x_scale', 'x_zp'], ['x_dq'], 'x_dequant'),
    node('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], ['w_dq'], 'w_dequant', [attrInt('axis', 0)]),
    node('DequantizeLinear', ['b_q', 'b_scale', 'b_zp'], ['b_dq'], 'b_dequant', [attrInt('axis', 0)]),
    node('Conv', ['x_dq', 'w_dq', 'b_dq'], ['conv'], 'conv', convAttrs),
    node('QuantizeLinear', ['conv', 'y_scale', 'y_zp'], ['y_q'], 'y_quant'),
    node('DequantizeLinear', ['y_q', 'y_scale', 'y_zp'], ['y'], 'y_dequant'),
    fStr(2, 'conv_peak_qdq'),
    tensor('x_scale', DT.FLOAT, [], new Float32Array([xScale])),
    tensor('x_zp', DT.UINT8, [], new Uint8Array([128])),
    tensor('w_q', DT.INT8, [C, C, K, K], wq),
    tensor('w_scale', DT.FLOAT, [C], ws),
    tensor('w_zp', DT.INT8, [C], new Int8Array(C)),
    tensor('b_q', DT.INT32, [C], bq),
    tensor('b_scale', DT.FLOAT, [C], bs),
    tensor('b_zp', DT.INT32, [C], new Int32Array(C)),
    tensor('y_scale', DT.FLOAT, [], new Float32Array([yScale])),
    tensor('y_zp', DT.UINT8, [], new Uint8Array([0])),
    xInfo, yInfo,
  ]);
  for (const [name, buf] of [['conv-fp32.onnx', fp32], ['conv-qdq.onnx', qdq]]) {
    const p = path.join(outDir, name), tmp = `${p}.tmp.${process.pid}`;
    fs.writeFileSync(tmp, buf);
    fs.renameSync(tmp, p);
  }
  console.log(`wrote ${path.join(outDir, 'conv-fp32.onnx')} and conv-qdq.onnx: Conv ${K}x${K} ${C}->${C} at ${S}x${S}, ` +
    `${(C * C * K * K * S * S / 1e6).toFixed(1)} M MACs per image`);
}

main();
