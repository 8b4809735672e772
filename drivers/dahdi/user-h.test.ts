import test from 'ava';
import * as h from './user-h.js';

// Request codes published by Linux itself (asm-generic encoding), to prove the arithmetic.
test('ioc arithmetic reproduces well-known Linux ioctl numbers', (t) => {
  t.is(h.ior('T'.charCodeAt(0), 0x30, 4), 0x80045430, 'TIOCGPTN = _IOR(\'T\', 0x30, unsigned int)');
  t.is(h.iow('T'.charCodeAt(0), 202, 4), 0x400454ca, 'TUNSETIFF = _IOW(\'T\', 202, int)');
  t.is(h.ior(0x12, 114, 8), 0x80081272, 'BLKGETSIZE64 = _IOR(0x12, 114, size_t)');
  t.is(h.iowr('U'.charCodeAt(0), 0, 24), 0xc0185500, 'USBDEVFS_CONTROL = _IOWR(\'U\', 0, struct usbdevfs_ctrltransfer) on 64-bit');
  t.is(h.io(0x12, 95), 0x125f, 'BLKRRPART = _IO(0x12, 95)');
});

test('ioc rejects sizes and numbers that do not fit', (t) => {
  t.throws(() => h.ioc(h.IOC_READ, 0xda, 1, 1 << 14), { instanceOf: RangeError });
  t.throws(() => h.ioc(h.IOC_READ, 0x100, 1, 4), { instanceOf: RangeError });
});

test('DAHDI request codes: direction, type 0xDA, number and size in the right fields', (t) => {
  t.is(h.DAHDI_SPECIFY, 0x4004da26);
  t.is(h.DAHDI_SET_BLOCKSIZE, 0x4004da01);
  t.is(h.DAHDI_GET_BLOCKSIZE, 0x8004da01);
  t.is(h.DAHDI_HOOK, 0x4004da07);
  t.is(h.DAHDI_GETEVENT, 0x8004da08);
  t.is(h.DAHDI_GETRXBITS, 0x8004da2b);
  t.is(h.DAHDI_SETTXBITS, 0x4004da2b);
  t.is(h.DAHDI_GET_PARAMS, 0xc088da05, 'sizeof(struct dahdi_params) = 136');
  t.is(h.DAHDI_SET_PARAMS, 0x4088da05);
  t.is(h.DAHDI_SPANSTAT, 0xc13ada0a, 'sizeof(struct dahdi_spaninfo) = 314, packed');
  t.is(h.DAHDI_DIAL, 0x4104da1f, 'sizeof(struct dahdi_dialoperation) = 260');
  t.is(h.DAHDI_SET_BUFINFO, 0x4018da1b);
  for (const code of [h.DAHDI_SPECIFY, h.DAHDI_GET_PARAMS, h.DAHDI_SPANSTAT, h.DAHDI_GETEVENT]) t.is((code >>> 8) & 0xff, h.DAHDI_CODE);
});

test('struct sizes follow the header field lists', (t) => {
  t.is(h.SIZEOF_DAHDI_PARAMS, 136);
  t.is(h.SIZEOF_DAHDI_SPANINFO, 314);
  t.is(h.SIZEOF_DAHDI_BUFFERINFO, 24);
  t.is(h.SIZEOF_DAHDI_DIALOPERATION, 260);
});

// Checked against dahdi-linux include/dahdi/user.h (struct field lists and _IOW numbers 11, 18, 19, 42).
test('maintenance, span/channel config and ring cadence requests', (t) => {
  t.is(h.SIZEOF_DAHDI_MAINTINFO, 8);
  t.is(h.SIZEOF_DAHDI_LINECONFIG, 36);
  t.is(h.SIZEOF_DAHDI_CHANCONFIG, 76);
  t.is(h.SIZEOF_DAHDI_RING_CADENCE, 64);
  t.is(h.DAHDI_MAINT, 0x4008da0b);
  t.is(h.DAHDI_SPANCONFIG, 0x4024da12);
  t.is(h.DAHDI_CHANCONFIG, 0x404cda13);
  t.is(h.DAHDI_SETCADENCE, 0x4040da2a);
});

test('signalling, alarm and event values match user.h', (t) => {
  t.is(h.DAHDI_SIG.FXSLS, 0x2001);
  t.is(h.DAHDI_SIG.FXOLS, 0x1008);
  t.is(h.DAHDI_SIG.HDLCFCS, 0x380);
  t.is(h.DAHDI_SIG.HARDHDLC, 0x80080);
  t.is(h.DAHDI_SIG.CAS, 0x8000);
  t.deepEqual([h.DAHDI_ALARM.YELLOW, h.DAHDI_ALARM.RED, h.DAHDI_ALARM.BLUE, h.DAHDI_ALARM.LOS], [4, 8, 16, 256]);
  t.deepEqual([h.DAHDI_EVENT.BITSCHANGED, h.DAHDI_EVENT.POLARITY, h.DAHDI_EVENT.RINGBEGIN, h.DAHDI_EVENT.REMOVED], [13, 17, 18, 20]);
  t.deepEqual([h.DAHDI_CONFIG.CCS, h.DAHDI_CONFIG.HDB3, h.DAHDI_CONFIG.CRC4], [0x100, 0x200, 0x400]);
});
