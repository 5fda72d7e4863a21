#!/usr/bin/env node
// Runs the display-overlap image (overlap.c: the die window sent by DMA to I2C0 while the next
// image is computed) on rp2040js, with the I2C timing and DMA pacing rp2040js leaves out, and
// prints one JSON object: the runs, the brackets, the image's INFO and every bus transaction.
//
//   node overlap.mjs --image build/tuned/overlap.bin --pairs 1:0,6:90,3:-45 [--max-cycles N]
//
// What rp2040js 1.4.1 models of this (node_modules/rp2040js/dist/esm/, read for this runner):
// - peripherals/dma.js: the channels, their registers and data path (a 16-bit write to an APB
//   register arrives replicated in both halves, rp2040.js writeUint16), paced by a DREQ level,
//   moved on rp2040.clock alarms: a runner that steps core.executeInstruction() must tick that
//   clock itself (run.mjs does not: no peripheral time passes there). A transfer costs the
//   core no cycle: no bus contention is modelled.
// - peripherals/i2c.js: the DW_apb_i2c registers, the 16-entry FIFOs and the master's state
//   machine, but no bus time: START, address, bytes and STOP complete through callbacks
//   (onStart, onConnect, onWriteByte, onStop), by default at once and NACKing the address; the
//   SCL counts are stored (sclHighPeriod/sclLowPeriod) and never used. It never raises its DMA
//   request (no dma.setDREQ in i2c.js: DREQ_I2C0_TX is only declared in dma.js), IC_DMA_CR and
//   IC_DMA_TDLR (0x88, 0x8c) are not implemented (a warning), IC_SDA_HOLD writes other than 1
//   warn, and IC_FS_SPKLEN takes only even values (it tests the value's bit 0 for IC_ENABLE).
// What this runner adds (the datasheet's, not rp2040js's):
// - the clock ticked 8 ns (one clk_sys cycle at 125 MHz) per core cycle;
// - I2C0's TX DREQ, asserted while IC_DMA_CR.TDMAE, IC_ENABLE and TX FIFO level <= IC_DMA_TDLR
//   (the DW_apb_i2c's dma_tx_req); IC_DMA_CR, IC_DMA_TDLR, IC_SDA_HOLD and IC_FS_SPKLEN
//   (written while disabled) kept here;
// - bus time from the block's registers, by the DW_apb_i2c rules in the RP2040 datasheet (I2C,
//   "IC_CLK Frequency Configuration"): SCL high HCNT + SPKLEN + 7 and low LCNT + 1 clk_sys
//   cycles; 9 SCL periods a byte (address or data, ACK included); START hold tHD;STA = HCNT;
//   STOP: SCL low LCNT + 1, then tSU;STO = HCNT; bus free before the next START tBUF = LCNT.
//   SCL rise and fall times (the board's pull-ups) are not in it: they lengthen a real bus;
// - a target at 0x3C that ACKs and records each transaction with its start and end cycle.
import { parseArgs } from 'node:util';
import { EV, loadImage, onEvents, parsePairs } from './image.mjs';

const NS = 8; // ns per clk_sys cycle at 125 MHz
const TARGET = 0x3c;
const DREQ_I2C0_TX = 32;
const IC_SDA_HOLD = 0x7c, IC_DMA_CR = 0x88, IC_DMA_TDLR = 0x8c, IC_FS_SPKLEN = 0xa0;

// I2C0 with bus time, its TX DREQ and a recording target (see the header).
function attachI2C0(mcu) {
  const i2c = mcu.i2c[0];
  const reg = { dmaCr: 0, tdlr: 0, sdaHold: 1, spklen: i2c.spikelen };
  const bus = [];
  const cyc = () => Math.round(mcu.clock.nanos / NS);
  let cur = null, busFree = 0, pending = null;
  const alarm = mcu.clock.createAlarm(() => { const f = pending; pending = null; f(); });
  const after = (cycles, f) => {
    if (pending) throw new Error('I2C0: a bus event while another is pending');
    pending = f;
    alarm.schedule(cycles * NS);
  };
  const dreq = () => {
    if (reg.dmaCr & 2 && i2c.enable & 1 && i2c.txFIFO.itemCount <= reg.tdlr) mcu.dma.setDREQ(DREQ_I2C0_TX);
    else mcu.dma.clearDREQ(DREQ_I2C0_TX);
  };
  const read = i2c.readUint32.bind(i2c), write = i2c.writeUint32.bind(i2c);
  i2c.readUint32 = (off) => {
    switch (off) {
      case IC_DMA_CR: return reg.dmaCr;
      case IC_DMA_TDLR: return reg.tdlr;
      case IC_SDA_HOLD: return reg.sdaHold;
      case IC_FS_SPKLEN: return reg.spklen;
      default: return read(off);
    }
  };
  i2c.writeUint32 = (off, v) => {
    switch (off) {
      case IC_DMA_CR: reg.dmaCr = v & 3; break;
      case IC_DMA_TDLR: reg.tdlr = v & 0xf; break;
      case IC_SDA_HOLD: reg.sdaHold = v; break;
      case IC_FS_SPKLEN: if (!(i2c.enable & 1)) reg.spklen = v & 0xff; break;
      default: write(off, v);
    }
    dreq();
  };
  const next = i2c.nextCommand.bind(i2c);
  i2c.nextCommand = () => { next(); dreq(); };
  const abort = i2c.abort.bind(i2c);
  i2c.abort = (reason) => { abort(reason); dreq(); };
  const H = () => i2c.sclHighPeriod, L = () => i2c.sclLowPeriod;
  const period = () => H() + reg.spklen + 7 + L() + 1;
  i2c.onStart = () => after(Math.max(0, busFree - cyc()) + H(), () => i2c.completeStart());
  i2c.onConnect = (addr) => {
    cur = { addr, ack: addr === TARGET, start: cyc(), data: [] };
    after(9 * period(), () => i2c.completeConnect(cur.ack));
  };
  i2c.onWriteByte = (b) => { cur.data.push(b & 0xff); after(9 * period(), () => i2c.completeWrite(true)); };
  i2c.onReadByte = () => { throw new Error('I2C0: reads are not modelled'); };
  i2c.onStop = () => after(L() + 1 + H(), () => {
    if (cur) {
      cur.end = cyc();
      cur.data = Buffer.from(cur.data).toString('hex');
      bus.push(cur);
      cur = null;
    }
    busFree = cyc() + L();
    i2c.completeStop();
  });
  return { bus, timing: () => ({ hcnt: H(), lcnt: L(), spklen: reg.spklen, period_cycles: period(),
    start_cycles: H(), stop_cycles: L() + 1 + H(), bus_free_cycles: L(), tdlr: reg.tdlr }) };
}

function run({ image, pairs, maxCycles }) {
  const { mcu, cstr } = loadImage(image, pairs);
  const i2c0 = attachI2C0(mcu);
  const out = { image, pairs, model: null, runs: [], micro: [], info: {}, bus: i2c0.bus, done: null };
  let runInfo = null, bench = null;
  const core = mcu.core;
  onEvents(mcu, cstr, out, {
    [EV.RUN_BEGIN]: (a, b, now) => {
      runInfo = { plan: cstr(a), pair: b, face: pairs[b][0], angle: pairs[b][1], start: now };
    },
    [EV.RUN_END]: (a, b, now) => {
      runInfo.end = now; runInfo.cycles = now - runInfo.start; runInfo.status = a | 0; out.runs.push(runInfo);
    },
    [EV.MICRO_BEGIN]: (a, b, now) => { bench = { name: cstr(a), index: b, start: now }; },
    [EV.MICRO_END]: (a, b, now) => {
      bench.end = now; bench.cycles = now - bench.start; out.micro.push(bench);
    },
  });
  const clock = mcu.clock;
  while (!out.done) {
    const dc = core.executeInstruction();
    clock.tick(dc * NS);
    if (core.cycles > maxCycles) throw new Error(`no EV_DONE after ${maxCycles} cycles (pc 0x${core.PC.toString(16)})`);
  }
  if (Math.round(clock.nanos / NS) !== core.cycles) throw new Error('the clock and the core cycles differ');
  out.i2c = i2c0.timing();
  return out;
}

const { values } = parseArgs({
  options: {
    image: { type: 'string' },
    pairs: { type: 'string', default: '1:0,6:90' },
    'max-cycles': { type: 'string', default: '4000000000' },
  },
});
try {
  if (!values.image) throw new Error('--image is required');
  const result = run({ image: values.image, pairs: parsePairs(values.pairs), maxCycles: Number(values['max-cycles']) });
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (e) {
  process.stderr.write(`overlap.mjs: ${e.stack || e.message}\n`);
  process.exit(1);
}
