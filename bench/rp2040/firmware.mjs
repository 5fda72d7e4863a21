#!/usr/bin/env node
// Boots real MicroPython firmware (a UF2, e.g. ../shared/firmware/rp2-pico-v1.23.0.uf2) on the
// rp2040js RP2040, with a littlefs image as its filesystem, an SSD1306-shaped I2C device and a
// push button, and reports what the board does as JSON lines on stdout.
//
//   node firmware.mjs --uf2 F --bootrom B [--fs littlefs.img] [--seed N] [--press MS:HOLD,...]
//        [--until-ms N] [--stdin]
//
// stdout, one JSON object a line, each with t_us (the emulated time, the RP2040's own clock):
//   {"serial": "..."}          bytes the firmware wrote to its USB CDC console (latin-1)
//   {"connected": true}        the console is up (stdin's serial bytes are sent from then on)
//   {"i2c": 60, "data": "hex"} one write transaction, start to stop, and its address
//   {"nack": 61}               an address no device answers
//   {"end": "until"|"stdin"}   why the run ended
// stdin (with --stdin), one JSON object a line: {"serial": "text"} types text on the console;
// {"press": [at_ms, hold_ms]} schedules a press; {"stop": true} ends the run.
//
// rp2040js 1.4.1 lacks parts of the chip this firmware uses; this harness supplies them, no more
// (../shared/firmware/README.md lists what is missing):
//   - ROSC RANDOMBIT (0x4006001c): a random bit per read (xorshift32 from --seed), as the ring
//     oscillator gives; rp2040js leaves ROSC unimplemented (reads 0xffffffff), so the port's
//     rosc_random_u8 (ports/rp2/moduos.c) returned one byte forever.
//   - I2C0 DREQ (DREQ_I2C0_TX = 32): raised while the TX FIFO holds fewer than 16 entries and
//     IC_DMA_CR.TDMAE is set (RP2040 datasheet 4.3.16, IC_DMA_TDLR at the default 0), so a DMA
//     channel paced by it moves, as on the chip.
//   - the I2C device at 0x3C: it acknowledges its address and every byte, each byte taking
//     9 SCL periods at the rate the firmware programmed (IC_FS_SCL_HCNT + IC_FS_SCL_LCNT clk_sys
//     cycles per period; the rp2040js controller otherwise completes a byte at once).
//   - the button on GP15 to GND with the internal pull-up: the pin reads 1 unless a press holds
//     it at 0 (rp2040js does not model pulls: an undriven input reads 0).
// One core only: rp2040js has no core 1 and no SIO FIFO, so a run must ask the app for one core.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { RP2040, USBCDC, ConsoleLogger, LogLevel, BasePeripheral } from 'rp2040js';

const FS_OFFSET = 0xa0000; // the rp2 port's littlefs at flash offset 640 KB (RPI_PICO: 1408 KB)
const UF2_MAGIC = [0x0a324655, 0x9e5d5157, 0x0ab16f30];
const DISPLAY_ADDR = 0x3c;
const BUTTON_PIN = 15;
const DREQ_I2C0_TX = 32;
const IC_DMA_CR = 0x88;
const IC_DATA_CMD = 0x10;
const TX_FIFO_DEPTH = 16;
const BITS_PER_BYTE = 9; // 8 data bits and the acknowledge

const { values: opt } = parseArgs({
  options: {
    uf2: { type: 'string' }, bootrom: { type: 'string' }, fs: { type: 'string' },
    seed: { type: 'string', default: '1' }, press: { type: 'string', default: '' },
    'until-ms': { type: 'string', default: '60000' }, stdin: { type: 'boolean', default: false },
  },
});
if (!opt.uf2 || !opt.bootrom) throw new Error('firmware.mjs: --uf2 and --bootrom are required');

const mcu = new RP2040();
mcu.logger = new ConsoleLogger(LogLevel.Error, true);
const boot = readFileSync(opt.bootrom);
mcu.loadBootrom(new Uint32Array(boot.buffer, boot.byteOffset, boot.length >> 2));
loadUf2(readFileSync(opt.uf2));
if (opt.fs) mcu.flash.set(readFileSync(opt.fs), FS_OFFSET);
mcu.core.PC = 0x10000000;

const out = (obj) => process.stdout.write(JSON.stringify({ t_us: Math.round(mcu.clock.micros), ...obj }) + '\n');

function loadUf2(buf) {
  for (let off = 0; off + 512 <= buf.length; off += 512) {
    const w = (i) => buf.readUInt32LE(off + 4 * i);
    if (w(0) !== UF2_MAGIC[0] || w(1) !== UF2_MAGIC[1] || buf.readUInt32LE(off + 508) !== UF2_MAGIC[2]) {
      throw new Error(`UF2 block at ${off}: bad magic`);
    }
    const addr = w(3), size = w(4);
    mcu.flash.set(buf.subarray(off + 32, off + 32 + size), addr - 0x10000000);
  }
}

// ---- ROSC: the random bit
class Rosc extends BasePeripheral {
  constructor(seed) { super(mcu, 'ROSC'); this.x = (seed >>> 0) || 1; }
  readUint32(offset) {
    switch (offset) {
      case 0x18: return 0x80001000; // STATUS: STABLE | ENABLED
      case 0x1c: { // RANDOMBIT
        let x = this.x; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; this.x = x >>> 0;
        return this.x >>> 31;
      }
      default: return 0;
    }
  }
  writeUint32() {}
}
mcu.peripherals[0x40060] = new Rosc(Number(opt.seed));

// ---- I2C0: DREQ, the display's acknowledgements, bus time per byte
const i2c = mcu.i2c[0];
let dmaCr = 0;
const updateDreq = () => {
  if ((dmaCr & 2) && i2c.txFIFO.itemCount < TX_FIFO_DEPTH) mcu.dma.setDREQ(DREQ_I2C0_TX);
  else mcu.dma.clearDREQ(DREQ_I2C0_TX);
};
const i2cWrite = i2c.writeUint32.bind(i2c);
i2c.writeUint32 = (offset, value) => {
  if (offset === IC_DMA_CR) dmaCr = value & 3;
  i2cWrite(offset, value);
  if (offset === IC_DMA_CR || offset === IC_DATA_CMD) updateDreq();
};
const i2cRead = i2c.readUint32.bind(i2c);
i2c.readUint32 = (offset) => (offset === IC_DMA_CR ? dmaCr : i2cRead(offset));
const byteNanos = () => {
  const period = i2c.speed === 1 ? i2c.ssClockHighPeriod + i2c.ssClockLowPeriod
    : i2c.fsClockHighPeriod + i2c.fsClockLowPeriod;
  return (BITS_PER_BYTE * period * 1e9) / mcu.clkSys;
};
let txn = null;
const byteDone = mcu.clock.createAlarm(() => { i2c.completeWrite(true); updateDreq(); });
i2c.onStart = () => i2c.completeStart();
i2c.onConnect = (addr, mode) => {
  if (addr !== DISPLAY_ADDR || mode !== 0) { out({ nack: addr }); i2c.completeConnect(false); return; }
  txn = { addr, bytes: [] };
  i2c.completeConnect(true);
};
i2c.onWriteByte = (v) => { txn?.bytes.push(v); byteDone.schedule(byteNanos()); };
i2c.onStop = () => {
  if (txn) out({ i2c: txn.addr, data: Buffer.from(txn.bytes).toString('hex') });
  txn = null;
  i2c.completeStop();
  updateDreq();
};

// ---- the button: pulled up, pressed by schedule
mcu.gpio[BUTTON_PIN].setInputValue(true);
const press = (atMs, holdMs) => {
  const down = mcu.clock.createAlarm(() => {
    mcu.gpio[BUTTON_PIN].setInputValue(false);
    mcu.clock.createAlarm(() => mcu.gpio[BUTTON_PIN].setInputValue(true)).schedule(holdMs * 1e6);
  });
  down.schedule(Math.max(0, atMs * 1e6 - mcu.clock.nanos));
};
for (const p of opt.press.split(',').filter(Boolean)) {
  const [at, hold] = p.split(':').map(Number);
  press(at, hold ?? 100);
}

// ---- the console
// What is typed waits here until the console is up and rp2040js's 512-byte receive FIFO has room
// (a push into a full FIFO is dropped): the host side of USB's flow control.
const cdc = new USBCDC(mcu.usbCtrl);
let connected = false;
let typed = [];
cdc.onDeviceConnected = () => { connected = true; out({ connected: true }); };
cdc.onSerialData = (buf) => out({ serial: Buffer.from(buf).toString('latin1') });
const type = (text) => { typed = typed.concat([...Buffer.from(text, 'latin1')]); };
const feed = () => {
  if (!connected || typed.length === 0) return;
  const room = cdc.txFIFO.size - cdc.txFIFO.itemCount;
  for (const b of typed.splice(0, room)) cdc.sendSerialByte(b);
};

let stopReason = null;
if (opt.stdin) {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.serial !== undefined) type(msg.serial);
    if (msg.press) press(msg.press[0], msg.press[1]);
    if (msg.stop) stopReason = 'stdin';
  });
  rl.on('close', () => { stopReason ??= 'stdin'; });
}

// ---- run: instructions in slices, the host's I/O between them (never the host's clock)
const untilNanos = Number(opt['until-ms']) * 1e6;
const cycleNanos = 1e9 / mcu.clkSys;
const SLICE = 200000;
while (stopReason === null) {
  for (let i = 0; i < SLICE; i++) {
    if ((i & 4095) === 0) feed();
    if (mcu.core.waiting) {
      const next = mcu.clock.nanosToNextAlarm;
      mcu.clock.tick(next > 0 ? next : cycleNanos);
    } else {
      mcu.clock.tick(mcu.core.executeInstruction() * cycleNanos);
    }
  }
  if (mcu.clock.nanos >= untilNanos) stopReason = 'until';
  await new Promise((resolve) => setImmediate(resolve));
}
out({ end: stopReason });
process.exit(0);
