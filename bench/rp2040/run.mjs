#!/usr/bin/env node
// Runs a pipdream benchmark image (bench/rp2040/build/<impl>/bench*.bin) on the
// rp2040js Cortex-M0+ core and prints what it reported as one JSON object.
//
//   node run.mjs --image build/tuned/bench.bin --pairs 1:0,6:-90 [--micro] [--profile PLAN|all] [--max-cycles N]
//
// The image is loaded as image.mjs says (bench_header, the io block, a strict
// emulator that stops on any access it flags). The core is stepped one instruction at a time;
// the image reports through `bkpt #0` with an event code in r0 and arguments in
// r1, r2, and core.cycles is read at each one (image.mjs onEvents).
// --profile adds `profile`: [address, cycles] of every instruction executed
// inside the runs of that plan (between RUN_BEGIN and RUN_END; all: every
// plan), for a per-function breakdown; in a layer build, `profile_layer` adds
// [layer, address, cycles] for the instructions inside each layer's kernel calls.
import { parseArgs } from 'node:util';
import { EV, SRAM, loadImage, onEvents, parsePairs } from './image.mjs';

function run({ image, pairs, micro, profile, maxCycles }) {
  const { mcu, cstr } = loadImage(image, pairs, micro);
  const out = { image, pairs, model: null, plans: {}, runs: [], micro: [], done: null };
  let run = null, kernel = null, share = null, bench = null, inRun = false;
  const core = mcu.core;
  onEvents(mcu, cstr, out, {
    [EV.PLAN]: (a, b) => { out.plans[cstr(a)] = { scratch_bytes: b, layer_macs: [] }; },
    [EV.LAYER_MACS]: (a, b) => { Object.values(out.plans)[a >> 8].layer_macs[a & 0xff] = b; },
    [EV.RUN_BEGIN]: (a, b, now) => {
      run = { plan: cstr(a), pair: b, face: pairs[b][0], angle: pairs[b][1], start: now,
        layers: [], calls: [] };
      inRun = profile === 'all' || profile === run.plan;
    },
    [EV.RUN_END]: (a, b, now) => {
      run.cycles = now - run.start; run.status = a | 0; delete run.start; out.runs.push(run);
      inRun = false;
    },
    [EV.KERNEL_BEGIN]: (a, b, now) => { kernel = { layer: a, start: now }; },
    [EV.KERNEL_END]: (a, b, now) => {
      run.layers[kernel.layer] = (run.layers[kernel.layer] ?? 0) + (now - kernel.start);
      run.calls[kernel.layer] = (run.calls[kernel.layer] ?? 0) + 1;
      kernel = null;
    },
    [EV.PART_BEGIN]: (a, b, now) => { share = { layer: a >> 8, part: a & 0xff, start: now }; },
    [EV.PART_END]: (a, b, now) => { // run.parts[layer or 'begin'][part] = cycles of that core's share
      const layer = share.layer === 0xff ? 'begin' : share.layer;
      ((run.parts ??= {})[layer] ??= [])[share.part] = now - share.start;
      share = null;
    },
    [EV.MICRO_BEGIN]: (a, b, now) => { bench = { name: cstr(a), count: b, start: now }; },
    [EV.MICRO_END]: (a, b, now) => {
      bench.cycles = now - bench.start; delete bench.start; out.micro.push(bench);
    },
  });

  const hist = profile ? new Float64Array(mcu.sram.length >> 1) : null;
  const layerHist = new Map(); // layer -> Float64Array, in a layer build
  while (!out.done) {
    if (hist && inRun) {
      const pc = core.PC, before = core.cycles;
      core.executeInstruction();
      const dc = core.cycles - before, slot = (pc - SRAM) >> 1;
      hist[slot] += dc;
      if (kernel) {
        if (!layerHist.has(kernel.layer)) layerHist.set(kernel.layer, new Float64Array(mcu.sram.length >> 1));
        layerHist.get(kernel.layer)[slot] += dc;
      }
    } else {
      core.executeInstruction();
    }
    if (core.cycles > maxCycles) throw new Error(`no EV_DONE after ${maxCycles} cycles (pc 0x${core.PC.toString(16)})`);
  }
  if (hist) {
    out.profile = [];
    hist.forEach((c, i) => { if (c) out.profile.push([SRAM + 2 * i, c]); });
    out.profile_layer = [];
    for (const [layer, h] of layerHist) h.forEach((c, i) => { if (c) out.profile_layer.push([layer, SRAM + 2 * i, c]); });
  }
  for (const r of out.runs) { // layers never called stay 0, not holes
    const n = out.model.n_layers;
    r.layers = Array.from({ length: n }, (_, j) => r.layers[j] ?? 0);
    r.calls = Array.from({ length: n }, (_, j) => r.calls[j] ?? 0);
  }
  return out;
}

const { values } = parseArgs({
  options: {
    image: { type: 'string' },
    pairs: { type: 'string', default: '1:0' },
    micro: { type: 'boolean', default: false },
    profile: { type: 'string', default: '' },
    'max-cycles': { type: 'string', default: '4000000000' },
  },
});
try {
  if (!values.image) throw new Error('--image is required');
  const result = run({ image: values.image, pairs: parsePairs(values.pairs), micro: values.micro,
    profile: values.profile, maxCycles: Number(values['max-cycles']) });
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  process.stderr.write(`run.mjs: ${e.message}\n`);
  process.exit(1);
}
