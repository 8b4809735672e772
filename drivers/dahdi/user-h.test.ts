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
