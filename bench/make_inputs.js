#!/usr/bin/env node
'use strict';
// Preprocessed Fashion-MNIST batches as .npy files, so that ptq (`ptq run`)
// and ONNX Runtime (bench/ort_accuracy.js) are fed byte-identical inputs.
//
//   node bench/make_inputs.js OUT_DIR [--split test|train] [--limit 1000] [--batch 100]
//        [--data /usr/share/datasets/fashion-mnist]
//
// Writes OUT_DIR/x_00000.npy ... (float32, N x 3 x 64 x 64) and
// OUT_DIR/labels.npy (int64, all samples in order), from the gzipped idx
// files of Debian's dataset-fashion-mnist package.
// Preprocessing of models/resnet50-fashion/README.md: 28x28 gray -> bilinear
// 72x72 (OpenCV INTER_LINEAR on uint8 — a port of ptq's src/data/resize.c,
// 11-bit weights and OpenCV's 22-bit fixed-point vertical pass) -> center
// crop 64 (offset 4) -> 3 equal channels -> (v/255 - mean) / std.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { parseArgs, writeNpy } = require('./lib');

const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
const f32 = Math.fround;

function readIdx(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const magic = buf.readUInt32BE(0), ndim = magic & 0xff;
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return { dims, data: buf.subarray(4 + 4 * ndim) };
}

// lrintf: round half to even.
function rint(x) {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function cvTaps(src, dst, clampWeights) {
  const scale = 1.0 / (dst / src);
  const taps = [];
  for (let d = 0; d < dst; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    if (clampWeights) {
      if (s < 0) { f = 0; s = 0; }
      if (s >= src - 1) { f = 0; s = src - 1; }
    }
    taps.push({
      w0: rint(f32(f32(1 - f) * 2048)), w1: rint(f32(f * 2048)),
      s0: Math.min(Math.max(s, 0), src - 1), s1: Math.min(Math.max(s + 1, 0), src - 1),
    });
  }
  return taps;
}

// Gray uint8 src (sh x sw) -> dst (dh x dw), OpenCV INTER_LINEAR.
function resizeOpenCV(src, sh, sw, dh, dw) {
  const xt = cvTaps(sw, dw, true), yt = cvTaps(sh, dh, false);
  const out = new Uint8Array(dh * dw);
  const row = (sy) => {
    const r = new Int32Array(dw);
    for (let dx = 0; dx < dw; dx++) {
      const t = xt[dx];
      let v = src[sy * sw + t.s0] * t.w0;
      if (t.w1) v += src[sy * sw + t.s1] * t.w1;
      r[dx] = v;
    }
    return r;
  };
  for (let dy = 0; dy < dh; dy++) {
    const r0 = row(yt[dy].s0), r1 = row(yt[dy].s1), b0 = yt[dy].w0, b1 = yt[dy].w1;
    for (let i = 0; i < dw; i++) {
      const v = (((b0 * (r0[i] >> 4)) >> 16) + ((b1 * (r1[i] >> 4)) >> 16) + 2) >> 2;
      out[dy * dw + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args._.length !== 1) { console.error('usage: node make_inputs.js OUT_DIR [--split test|train] [--limit N] [--batch N]'); process.exit(2); }
  const outDir = args._[0];
  const dataDir = args.data || '/usr/share/datasets/fashion-mnist';
  const prefix = (args.split || 'test') === 'train' ? 'train' : 't10k';
  const images = readIdx(path.join(dataDir, `${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(path.join(dataDir, `${prefix}-labels-idx1-ubyte.gz`));
  const [count, H, W] = images.dims;
  const limit = Math.min(count, Number(args.limit || 1000));
  const batch = Number(args.batch || 100);
  const R = 72, C = 64, off = (R - C) / 2;
  fs.mkdirSync(outDir, { recursive: true });
  const norm = [0, 1, 2].map((c) => Array.from({ length: 256 }, (_, v) => f32(f32(f32(v / 255) - f32(MEAN[c])) / f32(STD[c]))));
  let files = 0;
  for (let start = 0; start < limit; start += batch) {
    const n = Math.min(batch, limit - start);
    const x = new Float32Array(n * 3 * C * C);
    for (let k = 0; k < n; k++) {
      const img = images.data.subarray((start + k) * H * W, (start + k + 1) * H * W);
      const big = resizeOpenCV(img, H, W, R, R);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < C; y++)
          for (let xx = 0; xx < C; xx++)
            x[((k * 3 + c) * C + y) * C + xx] = norm[c][big[(y + off) * R + xx + off]];
    }
    writeNpy(path.join(outDir, `x_${String(files++).padStart(5, '0')}.npy`), '<f4', [n, 3, C, C], x);
  }
  const y = new BigInt64Array(limit);
  for (let i = 0; i < limit; i++) y[i] = BigInt(labels.data[i]);
  writeNpy(path.join(outDir, 'labels.npy'), '<i8', [limit], y);
  console.log(`wrote ${limit} ${prefix} images in ${files} batch(es) of up to ${batch} to ${outDir} (N x 3 x ${C} x ${C} float32) and labels.npy`);
}

main();
