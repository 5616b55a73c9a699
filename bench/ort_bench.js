#!/usr/bin/env node
'use strict';
// ONNX Runtime twin of `ptq bench`: same input (seeded, uniform [-1, 1)),
// same warm-up/timing loop and the same statistics and JSON keys.
//
//   node bench/ort_bench.js MODEL --shape 1x3x224x224 [--batch N] [--threads N]
//        [--seconds S] [--warmup N] [--seed N] [--no-spin] [--json [FILE|-]]
//
// Session: intraOpNumThreads N, interOpNumThreads 1, graphOptimizationLevel
// 'all', executionMode 'sequential', CPU execution provider. --no-spin sets
// session.intra_op.allow_spinning = 0 (idle threads sleep instead of
// spinning: much better on a loaded machine).
const fs = require('fs');
const ort = require('onnxruntime-node');
const { parseArgs, parseShape, randomFloats, latencyStats, modelPrecision } = require('./lib');

const USAGE = 'usage: node ort_bench.js MODEL --shape 1x3x224x224 [--batch N] [--threads N] [--seconds S] [--warmup N] [--seed N] [--no-spin] [--json [FILE|-]]';

async function main() {
  const argv = process.argv.slice(2);
  // --json without a value means standard output.
  const ji = argv.indexOf('--json');
  if (ji >= 0 && (ji === argv.length - 1 || argv[ji + 1].startsWith('--'))) argv.splice(ji + 1, 0, '-');
  const args = parseArgs(argv, ['help', 'no-spin']);
  if (args.help || args._.length !== 1) { console.log(USAGE); process.exit(args.help ? 0 : 2); }
  const model = args._[0];
  const dims = parseShape(args.shape || '1x3x224x224');
  if (args.batch) dims[0] = Number(args.batch);
  const threads = Number(args.threads || 0);
  const seconds = Number(args.seconds ?? 5);
  const warmup = Number(args.warmup ?? 3);
  const seed = Number(args.seed ?? 1);
  const out = args.json === '-' ? process.stderr : process.stdout;

  let t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(args['no-spin'] ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  });
  const createSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (session.inputNames.length !== 1) throw new Error(`${model}: ${session.inputNames.length} inputs (1 supported)`);
  const n = dims.reduce((a, b) => a * b, 1);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', randomFloats(n, seed), dims) };

  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const lat = [];
  let total = 0;
  while (lat.length === 0 || total < seconds) {
    t0 = process.hrtime.bigint();
    await session.run(feeds);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.push(dt * 1e3);
    total += dt;
  }
  const st = latencyStats(lat);
  const res = {
    engine: 'onnxruntime-node',
    version: require('onnxruntime-node/package.json').version,
    model,
    shape: dims.join('x'),
    batch: dims[0],
    threads,
    backend: 'ort-cpu',
    spinning: !args['no-spin'],
    precision: modelPrecision(model),
    latency_ms: st,
    images_per_second: (dims[0] * lat.length) / total,
    throughput_basis: 'total_images/total_time',
    runs: lat.length,
    warmup,
    seconds: total,
    session_create_seconds: createSeconds,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
  };
  await session.release();
  out.write(`model:      ${model}\nshape:      ${res.shape} (batch ${res.batch}), ${res.precision}, ORT ${res.version} CPU, threads ${threads}\n`);
  out.write(`runs:       ${res.runs} timed in ${total.toFixed(3)} s after ${warmup} warm-up (session create ${createSeconds.toFixed(3)} s)\n`);
  out.write(`latency ms: min ${st.min.toFixed(3)}  median ${st.median.toFixed(3)}  p90 ${st.p90.toFixed(3)}  (mean ${st.mean.toFixed(3)}, max ${st.max.toFixed(3)})\n`);
  out.write(`throughput: ${res.images_per_second.toFixed(2)} images/s (total images / total time)\npeak RSS:   ${res.peak_rss_mib.toFixed(1)} MiB\n`);
  if (args.json === '-') process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  else if (args.json) fs.writeFileSync(args.json, JSON.stringify(res, null, 2) + '\n');
}

main().catch((e) => { console.error(`ort_bench: ${e.message}`); process.exit(1); });
