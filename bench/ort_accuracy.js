#!/usr/bin/env node
'use strict';
// Top-1/top-5 of a model in ONNX Runtime over .npy batches made by
// bench/make_inputs.js; with --ptq, the same batches also go through
// `ptq run` so both engines see byte-identical inputs, and the script reports
// the difference in top-1 (percentage points) and how often the two top-1
// predictions agree.
//
//   node bench/ort_accuracy.js MODEL INPUT_DIR [--threads 2] [--ptq build/ptq]
//        [--backend ref|dnnl] [--max-diff-pp 0.1] [--json FILE]
//
// Exit status 1 when --ptq is given and |top-1 ptq - top-1 ORT| > --max-diff-pp.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const ort = require('onnxruntime-node');
const { parseArgs, readNpy } = require('./lib');

function topk(scores, off, n, k) {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => scores[off + b] - scores[off + a] || a - b);
  return idx.slice(0, k);
}

function score(logits, classes, labels, base, acc, preds) {
  const n = logits.length / classes;
  for (let i = 0; i < n; i++) {
    const t = topk(logits, i * classes, classes, 5), y = Number(labels[base + i]);
    preds.push(t[0]);
    if (t[0] === y) acc.top1++;
    if (t.includes(y)) acc.top5++;
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2), ['help']);
  if (args.help || args._.length !== 2) {
    console.log('usage: node ort_accuracy.js MODEL INPUT_DIR [--threads N] [--ptq PTQ] [--backend ref|dnnl] [--max-diff-pp 0.1] [--json FILE]');
    process.exit(args.help ? 0 : 2);
  }
  const [model, dir] = args._;
  const threads = Number(args.threads || 0);
  const batches = fs.readdirSync(dir).filter((f) => /^x_\d+\.npy$/.test(f)).sort();
  const labels = readNpy(path.join(dir, 'labels.npy')).data;
  if (!batches.length) throw new Error(`${dir}: no x_*.npy batches (run bench/make_inputs.js)`);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const tmp = args.ptq ? fs.mkdtempSync(path.join(os.tmpdir(), 'ptq-acc-')) : null;
  const ortAcc = { top1: 0, top5: 0 }, ptqAcc = { top1: 0, top5: 0 }, ortPred = [], ptqPred = [];
  let n = 0;
  for (const f of batches) {
    const x = readNpy(path.join(dir, f));
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
    const logits = out[session.outputNames[0]];
    const classes = logits.dims[logits.dims.length - 1];
    score(logits.data, classes, labels, n, ortAcc, ortPred);
    if (args.ptq) {
      const o = path.join(tmp, 'out.npy');
      const argv = ['run', model, path.join(dir, f), '-o', o];
      if (threads) argv.push('--threads', String(threads));
      if (args.backend) argv.push('--backend', args.backend);
      execFileSync(args.ptq, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
      score(readNpy(o).data, classes, labels, n, ptqAcc, ptqPred);
    }
    n += x.shape[0];
    process.stderr.write(`\r${n} images`);
  }
  process.stderr.write('\n');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  const res = { model, images: n, ort: { top1: ortAcc.top1 / n, top5: ortAcc.top5 / n } };
  console.log(`${model}: ${n} images`);
  console.log(`ORT ${require('onnxruntime-node/package.json').version}: top-1 ${(100 * res.ort.top1).toFixed(2)}%  top-5 ${(100 * res.ort.top5).toFixed(2)}%`);
  let rc = 0;
  if (args.ptq) {
    const agree = ortPred.filter((p, i) => p === ptqPred[i]).length / n;
    const diffPp = 100 * (ptqAcc.top1 - ortAcc.top1) / n;
    const maxPp = Number(args['max-diff-pp'] ?? 0.1);
    res.ptq = { top1: ptqAcc.top1 / n, top5: ptqAcc.top5 / n, backend: args.backend || 'default' };
    res.top1_diff_pp = diffPp;
    res.top1_agreement = agree;
    console.log(`ptq (${res.ptq.backend}): top-1 ${(100 * res.ptq.top1).toFixed(2)}%  top-5 ${(100 * res.ptq.top5).toFixed(2)}%`);
    console.log(`top-1 difference ptq - ORT: ${diffPp.toFixed(2)} pp (limit ${maxPp}); same top-1 prediction on ${(100 * agree).toFixed(2)}% of images`);
    if (Math.abs(diffPp) > maxPp) { console.log('FAIL: top-1 differs by more than the limit'); rc = 1; }
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(res, null, 2) + '\n');
  await session.release();
  process.exit(rc);
}

main().catch((e) => { console.error(`ort_accuracy: ${e.message}`); process.exit(1); });
