// What run.mjs and overlap.mjs share: loading a benchmark image (bench.h) into the
// rp2040js SRAM, its event codes, the events both read alike, and an emulator that stops
// on any access it flags.
//
// The image is copied to SRAM at 0x20000000; its first 16 bytes are bench_header
// (bench.h): magic, entry point, stack top, address of the io block, where the
// (face, angle code) pairs go.
import { readFileSync } from 'node:fs';
import { RP2040, ConsoleLogger, LogLevel } from 'rp2040js';

export const SRAM = 0x20000000;
const MAGIC = 0x48435042; // bench.h BENCH_MAGIC
const MAX_PAIRS = 64; // bench.h BENCH_MAX_PAIRS
export const EV = { // bench.h, enum of event codes
  DONE: 1, MODEL: 2, LAYER_MACS: 3, RUN_BEGIN: 4, RUN_END: 5, IMAGE: 6,
  KERNEL_BEGIN: 7, KERNEL_END: 8, MICRO_BEGIN: 9, MICRO_END: 10, PLAN: 11, INFO: 12,
  PART_BEGIN: 13, PART_END: 14,
};

// Any access the emulator flags (unaligned word, unmapped address, unknown
// instruction) stops the run with an error, as a fault would on the chip.
class StrictLogger extends ConsoleLogger {
  constructor() { super(LogLevel.Warn, true); }
  warn(component, message) { throw new Error(`[${component}] ${message}`); }
  error(component, message) { throw new Error(`[${component}] ${message}`); }
}

export function parsePairs(text) {
  const pairs = text.split(',').filter(Boolean).map((p) => {
    const m = /^(-?\d+):(-?\d+)$/.exec(p.trim());
    if (!m) throw new Error(`--pairs: "${p}" is not face:angle_code`);
    return [Number(m[1]), Number(m[2])];
  });
  if (pairs.length > MAX_PAIRS) throw new Error(`--pairs: at most ${MAX_PAIRS} pairs`);
  return pairs;
}

// A new RP2040 with the image in SRAM, its io block filled (bench_io_t: n_pairs,
// face[MAX_PAIRS], angle[MAX_PAIRS], micro) and the core at the entry point.
// Returns the mcu and cstr(addr), a NUL-terminated string the image points to.
export function loadImage(image, pairs, micro = false) {
  const bin = readFileSync(image);
  const mcu = new RP2040();
  mcu.logger = new StrictLogger();
  if (bin.length > mcu.sram.length) throw new Error(`${image}: ${bin.length} bytes do not fit in SRAM`);
  mcu.sram.fill(0);
  mcu.sram.set(bin, 0);
  const view = new DataView(mcu.sram.buffer);
  const word = (addr) => view.getUint32(addr - SRAM, true);
  if (word(SRAM) !== MAGIC) throw new Error(`${image}: no bench_header at 0x20000000`);
  const entry = word(SRAM + 4), stackTop = word(SRAM + 8), io = word(SRAM + 12);
  view.setUint32(io - SRAM, pairs.length, true);
  pairs.forEach(([face, angle], i) => {
    view.setInt32(io - SRAM + 4 + 4 * i, face, true);
    view.setInt32(io - SRAM + 4 + 4 * MAX_PAIRS + 4 * i, angle, true);
  });
  view.setUint32(io - SRAM + 4 + 8 * MAX_PAIRS, micro ? 1 : 0, true);
  mcu.core.SP = stackTop;
  mcu.core.PC = entry & ~1;
  const cstr = (addr) => {
    let s = '';
    for (let a = addr; mcu.sram[a - SRAM] !== 0; a++) s += String.fromCharCode(mcu.sram[a - SRAM]);
    return s;
  };
  return { mcu, cstr };
}

// Sets mcu.onBreak: the image reports an event with `bkpt #0` (code in r0, arguments in r1, r2;
// core.cycles is read there, the PC already past the bkpt). The events every runner reads alike
// fill `out`: MODEL out.model, IMAGE the hex image of the last of out.runs, INFO out.info, DONE
// out.done (the run is over). handlers[code](a, b, now) takes the others; a code without one is
// an error.
export function onEvents(mcu, cstr, out, handlers) {
  const core = mcu.core;
  mcu.onBreak = () => {
    const [code, a, b] = [core.registers[0], core.registers[1], core.registers[2]];
    const now = core.cycles;
    switch (code) {
      case EV.MODEL: out.model = { status: a | 0, n_layers: b }; break;
      case EV.IMAGE: // the bytes of the run just ended
        out.runs[out.runs.length - 1].image = Buffer.from(mcu.sram.subarray(a - SRAM, a - SRAM + b))
          .toString('hex');
        break;
      case EV.INFO: (out.info ??= {})[cstr(a)] = b; break;
      case EV.DONE: out.done = { status: a | 0, cycles: now }; break;
      default:
        if (!handlers[code]) throw new Error(`unknown event ${code} at pc 0x${(core.PC - 2).toString(16)}`);
        handlers[code](a, b, now);
    }
  };
}
