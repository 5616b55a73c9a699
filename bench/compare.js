#!/usr/bin/env node
'use strict';
// ptq vs ONNX Runtime on the same model files, shapes and thread count, in
// one run, interleaved (ptq, ORT, ptq, ORT, ...) so that both see the same
// machine state. Prints a markdown table.
//
//   node bench/compare.js [--ptq build/ptq] [--models DIR] [--threads 2]
//        [--size 224] [--batches 1,8] [--seconds 5] [--warmup 3] [--rounds 1]
//        [--backend dnnl] [--no-spin] [--json FILE]
//
// --no-spin: idle worker threads sleep instead of spinning, in both engines
// (ptq: OMP_WAIT_POLICY=passive for oneDNN's OpenMP; ORT:
// session.intra_op.allow_spinning 0). Spinning helps on an idle machine and
// hurts badly on a loaded one.
// Models: DIR/model.onnx (FP32) and DIR/model-qdq.onnx (INT8), default
// ../shared/models/resnet50-fashion next to the repository.
// Lower bound: conv peak GMAC/s is measured by `ptq bench` on a 3x3 256->256
// conv at 28x28 (bench/make_conv_model.js, FP32 and QDQ int8), best of
// batch 1 and 8, from the minimum latency of the whole one-conv model or the
// conv layer's time in `ptq bench --profile`, whichever is faster;
// bound_ms = model GMACs (from `ptq info --json`) x batch / peak.
// With --rounds R each cell is the best (lowest) median over R interleaved rounds.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { parseArgs } = require('./lib');

const repo = path.resolve(__dirname, '..');
const args = parseArgs(process.argv.slice(2), ['help', 'no-spin']);
if (args.help) { console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2).filter((l, i, a) => a.slice(0, i + 1).every((x) => x.startsWith('//'))).join('\n')); process.exit(0); }
const ptq = path.resolve(args.ptq || process.env.PTQ || path.join(repo, 'build', 'ptq'));
const modelsDir = path.resolve(args.models || path.join(repo, '..', 'shared', 'models', 'resnet50-fashion'));
const threads = Number(args.threads || 2);
const size = Number(args.size || 224);
const batches = String(args.batches || '1,8').split(',').map(Number);
const seconds = String(args.seconds || 5);
const warmup = String(args.warmup || 3);
const rounds = Number(args.rounds || 1);
const backend = args.backend || 'dnnl';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ptq-compare-'));

const noSpin = !!args['no-spin'];
function run(cmd, argv) {
  const env = { ...process.env };
  if (noSpin && cmd === ptq) env.OMP_WAIT_POLICY = 'passive';
  process.stderr.write(`$ ${noSpin && cmd === ptq ? 'OMP_WAIT_POLICY=passive ' : ''}${[cmd, ...argv].join(' ')}\n`);
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26, env });
}
const ptqBench = (model, shape, extra = []) =>
  JSON.parse(run(ptq, ['bench', model, '--shape', shape, '--threads', String(threads), '--seconds', seconds,
    '--warmup', warmup, '--backend', backend, '--json', '-', ...extra]));
const ortBench = (model, shape) =>
  JSON.parse(run(process.execPath, [path.join(__dirname, 'ort_bench.js'), model, '--shape', shape,
    '--threads', String(threads), '--seconds', seconds, '--warmup', warmup, ...(noSpin ? ['--no-spin'] : []), '--json', '-']));
function macs(model, shape) {
  const f = path.join(tmp, 'info.json');
  run(ptq, ['info', model, '--shape', shape, '--json', f]);
  return JSON.parse(fs.readFileSync(f, 'utf8')).macs;
}

const f1 = (x) => (x == null || !isFinite(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const f2 = (x) => (x == null || !isFinite(x) ? 'n/a' : x.toFixed(2));

function main() {
  const started = new Date().toISOString();
  const load0 = os.loadavg();

  // 1. Convolution peak (ptq, and ORT for reference), per precision.
  run(process.execPath, [path.join(__dirname, 'make_conv_model.js'), tmp]);
  const peak = {};
  for (const [prec, file] of [['fp32', 'conv-fp32.onnx'], ['int8', 'conv-qdq.onnx']]) {
    const m = path.join(tmp, file);
    const best = { ptq: 0, ort: 0, ptq_median: 0, ort_median: 0 };
    for (const b of [1, 8]) {
      const shape = `${b}x256x28x28`;
      const mac = macs(m, shape);
      const p = ptqBench(m, shape, ['--profile']), o = ortBench(m, shape);
      // ptq: whole-model min latency, or the conv layer alone from the
      // profile (without the model's input Q and output DQ), whichever is faster.
      const convMs = (p.profile || []).filter((e) => e.kind.startsWith('conv')).reduce((a, e) => a + e.ms, 0);
      best.ptq = Math.max(best.ptq, mac / 1e9 / (p.latency_ms.min / 1e3), convMs > 0 ? mac / 1e9 / (convMs / 1e3) : 0);
      best.ort = Math.max(best.ort, mac / 1e9 / (o.latency_ms.min / 1e3));
      best.ptq_median = Math.max(best.ptq_median, mac / 1e9 / (p.latency_ms.median / 1e3));
      best.ort_median = Math.max(best.ort_median, mac / 1e9 / (o.latency_ms.median / 1e3));
    }
    peak[prec] = best;
  }

  // 2. The models, interleaved.
  const models = [['FP32', 'fp32', path.join(modelsDir, 'model.onnx')], ['INT8', 'int8', path.join(modelsDir, 'model-qdq.onnx')]];
  const gmac = macs(models[0][2], `1x3x${size}x${size}`) / 1e9;
  const cells = {};
  for (let r = 0; r < rounds; r++)
    for (const [label, , model] of models)
      for (const b of batches) {
        const shape = `${b}x3x${size}x${size}`;
        const p = ptqBench(model, shape), o = ortBench(model, shape);
        const k = `${label}/${b}`;
        const keep = (old, x) => (!old || x.latency_ms.median < old.latency_ms.median ? x : old);
        cells[k] = { ptq: keep(cells[k]?.ptq, p), ort: keep(cells[k]?.ort, o) };
      }

  // 3. Report.
  const L = [];
  L.push(`ptq (${backend}) vs ONNX Runtime ${cells[`FP32/${batches[0]}`].ort.version} CPU, ResNet-50 (Fashion-MNIST head) at ${size}x${size}, ` +
    `${threads} threads, ${seconds} s per cell, best median of ${rounds} round(s), thread spinning ${noSpin ? 'off in both' : 'on (defaults)'}; ${os.cpus()[0].model}; load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
  L.push('');
  L.push('| precision | batch | ptq median ms | ORT median ms | ptq/ORT latency | ptq img/s | ORT img/s | ptq/ORT img/s | bound ms | ptq/bound | ptq RSS MiB | ORT RSS MiB |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const rows = [];
  for (const [label, prec] of models)
    for (const b of batches) {
      const { ptq: p, ort: o } = cells[`${label}/${b}`];
      const bound = (gmac * b) / peak[prec].ptq * 1e3;
      const row = { precision: label, batch: b, ptq_median_ms: p.latency_ms.median, ort_median_ms: o.latency_ms.median,
        ptq_ips: p.images_per_second, ort_ips: o.images_per_second, bound_ms: bound, ptq_rss: p.peak_rss_mib, ort_rss: o.peak_rss_mib };
      rows.push(row);
      L.push(`| ${label} | ${b} | ${f1(row.ptq_median_ms)} | ${f1(row.ort_median_ms)} | ${f2(row.ptq_median_ms / row.ort_median_ms)} | ` +
        `${f1(row.ptq_ips)} | ${f1(row.ort_ips)} | ${f2(row.ptq_ips / row.ort_ips)} | ${f1(bound)} | ${f2(row.ptq_median_ms / bound)} | ` +
        `${f1(row.ptq_rss)} | ${f1(row.ort_rss)} |`);
    }
  L.push('');
  for (const b of batches) {
    const fp = cells[`FP32/${b}`], q = cells[`INT8/${b}`];
    L.push(`- INT8 speed-up over FP32 at batch ${b} (median latency): ptq ${f2(fp.ptq.latency_ms.median / q.ptq.latency_ms.median)}x, ` +
      `ORT ${f2(fp.ort.latency_ms.median / q.ort.latency_ms.median)}x`);
  }
  L.push(`- conv peak (3x3 256->256 at 28x28, best of batch 1/8, from min latency or the profiled conv layer (ORT: whole model incl. Q/DQ); from median in parentheses): ` +
    `ptq FP32 ${f1(peak.fp32.ptq)} (${f1(peak.fp32.ptq_median)}) GMAC/s, ptq INT8 ${f1(peak.int8.ptq)} (${f1(peak.int8.ptq_median)}) GMAC/s; ` +
    `ORT FP32 ${f1(peak.fp32.ort)} (${f1(peak.fp32.ort_median)}), ORT INT8 ${f1(peak.int8.ort)} (${f1(peak.int8.ort_median)}) GMAC/s`);
  L.push(`- bound_ms = ${gmac.toFixed(3)} GMAC/image (ptq info) x batch / ptq conv peak of the same precision; ptq/bound = ptq median / bound`);
  L.push('- throughput = total images / total timed time (sequential runs); latency = median over timed runs');
  console.log(L.join('\n'));
  if (args.json)
    fs.writeFileSync(args.json, JSON.stringify({ started, no_spin: noSpin, threads, size, seconds: Number(seconds), rounds, backend, gmac_per_image: gmac,
      conv_peak_gmacs: peak, rows, raw: cells }, null, 2) + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
}

try { main(); } catch (e) { console.error(`compare: ${e.message}`); fs.rmSync(tmp, { recursive: true, force: true }); process.exit(1); }
