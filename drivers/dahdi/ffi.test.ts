import test from 'ava';
import { offsetOf, sizeOf } from './ffi.js';
import { SIZEOF_DAHDI_BUFFERINFO, SIZEOF_DAHDI_DIALOPERATION, SIZEOF_DAHDI_PARAMS, SIZEOF_DAHDI_SPANINFO } from './user-h.js';

test('koffi struct sizes match the sizes encoded in the ioctl numbers', (t) => {
  t.is(sizeOf('params'), SIZEOF_DAHDI_PARAMS);
  t.is(sizeOf('spaninfo'), SIZEOF_DAHDI_SPANINFO);
  t.is(sizeOf('bufferinfo'), SIZEOF_DAHDI_BUFFERINFO);
  t.is(sizeOf('dialoperation'), SIZEOF_DAHDI_DIALOPERATION);
  t.is(sizeOf('pollfd'), 8);
});

test('dahdi_params field offsets follow user.h order', (t) => {
  t.is(offsetOf('params', 'channo'), 0);
  t.is(offsetOf('params', 'rxbits'), 24);
  t.is(offsetOf('params', 'idlebits'), 44);
  t.is(offsetOf('params', 'name'), 48);
  t.is(offsetOf('params', 'prewinktime'), 88);
  t.is(offsetOf('params', 'chan_alarms'), 132);
});

test('dahdi_spaninfo is packed: counters, syncsrc and the 6-byte spantype at unaligned offsets', (t) => {
  t.is(offsetOf('spaninfo', 'name'), 4);
  t.is(offsetOf('spaninfo', 'desc'), 24);
  t.is(offsetOf('spaninfo', 'alarms'), 64);
  t.is(offsetOf('spaninfo', 'bpvcount'), 76);
  t.is(offsetOf('spaninfo', 'crc4count'), 80);
  t.is(offsetOf('spaninfo', 'ebitcount'), 84);
  t.is(offsetOf('spaninfo', 'fascount'), 88);
  t.is(offsetOf('spaninfo', 'irqmisses'), 112);
  t.is(offsetOf('spaninfo', 'syncsrc'), 116);
  t.is(offsetOf('spaninfo', 'lineconfig'), 136);
  t.is(offsetOf('spaninfo', 'lboname'), 140);
  t.is(offsetOf('spaninfo', 'irq'), 300);
  t.is(offsetOf('spaninfo', 'spantype'), 308);
});

test('pollfd: fd, events, revents', (t) => {
  t.is(offsetOf('pollfd', 'events'), 4);
  t.is(offsetOf('pollfd', 'revents'), 6);
});

test('libc bindings: open/write/read/close on a temp file, ioctl refused with ENOTTY, poll runs off the event loop', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { loadLibc, O_RDWR, O_NONBLOCK, POLLIN } = await import('./ffi.js');
  const { DAHDI_SPECIFY } = await import('./user-h.js');
  const libc = loadLibc();
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dahdi-ffi-')), 'chan');
  writeFileSync(file, 'abc');
  const fd = libc.open(file, O_RDWR | O_NONBLOCK);
  t.true(fd >= 0);
  const buf = new Uint8Array(8);
  t.is(libc.read(fd, buf), 3);
  t.deepEqual([...buf.subarray(0, 3)], [0x61, 0x62, 0x63]);
  const chan = new Uint8Array(4);
  new DataView(chan.buffer).setInt32(0, 1, true);
  t.is(libc.ioctl(fd, DAHDI_SPECIFY, chan), -1);
  t.is(libc.errno(), 25, 'ENOTTY: a regular file is not a DAHDI channel');
  const fds = new Uint8Array(8);
  const dv = new DataView(fds.buffer);
  dv.setInt32(0, fd, true);
  dv.setInt16(4, POLLIN, true);
  const ready = await new Promise<number>((resolve, reject) => libc.pollAsync(fds, 1, 100, (err, n) => (err ? reject(err) : resolve(n))));
  t.is(ready, 1);
  t.is(dv.getInt16(6, true) & POLLIN, POLLIN);
  t.is(libc.close(fd), 0);
});
