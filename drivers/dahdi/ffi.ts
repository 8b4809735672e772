/**
 * koffi bindings for the DAHDI driver: libc's open/close/read/write/ioctl/poll and the DAHDI
 * user-header structs (dahdi-linux `include/dahdi/user.h`; request codes in user-h.ts). This is
 * the only file of drivers/dahdi that imports koffi.
 *
 * Structs are declared with koffi so their layout (sizes, offsets, the `packed` spaninfo) is
 * computed by the same rules the C compiler uses and checked against user-h.ts in ffi.test.ts;
 * ioctls then pass plain Buffers and the wrapper reads fields at `koffi.offsetof` offsets.
 *
 * Blocking: every channel is opened O_NONBLOCK, so read/write/ioctl return at once. Waiting is
 * done by `pollAsync`, koffi's `.async` call of poll(2) on a libuv worker thread: the event loop
 * never blocks, and one poll covers every open DAHDI fd.
 */
import koffi, { type LibraryHandle } from 'koffi';
import { DriverError } from '../types.js';

export const DAHDI_PARAMS = koffi.struct('hotline_dahdi_params', {
  channo: 'int',
  spanno: 'int',
  chanpos: 'int',
  sigtype: 'int',
  sigcap: 'int',
  rxisoffhook: 'int',
  rxbits: 'int',
  txbits: 'int',
  txhooksig: 'int',
  rxhooksig: 'int',
  curlaw: 'int',
  idlebits: 'int',
  name: koffi.array('char', 40, 'Array'),
  prewinktime: 'int',
  preflashtime: 'int',
  winktime: 'int',
  flashtime: 'int',
  starttime: 'int',
  rxwinktime: 'int',
  rxflashtime: 'int',
  debouncetime: 'int',
  pulsebreaktime: 'int',
  pulsemaketime: 'int',
  pulseaftertime: 'int',
  chan_alarms: 'uint32_t',
});

export const DAHDI_SPANINFO = koffi.pack('hotline_dahdi_spaninfo', {
  spanno: 'int',
  name: koffi.array('char', 20, 'Array'),
  desc: koffi.array('char', 40, 'Array'),
  alarms: 'int',
  txlevel: 'int',
  rxlevel: 'int',
  bpvcount: 'int',
  crc4count: 'int',
  ebitcount: 'int',
  fascount: 'int',
  fecount: 'uint32_t',
  cvcount: 'uint32_t',
  becount: 'uint32_t',
  prbs: 'uint32_t',
  errsec: 'uint32_t',
  irqmisses: 'int',
  syncsrc: 'int',
  numchans: 'int',
  totalchans: 'int',
  totalspans: 'int',
  lbo: 'int',
  lineconfig: 'int',
  lboname: koffi.array('char', 40, 'Array'),
  location: koffi.array('char', 40, 'Array'),
  manufacturer: koffi.array('char', 40, 'Array'),
  devicetype: koffi.array('char', 40, 'Array'),
  irq: 'int',
  linecompat: 'int',
  spantype: koffi.array('char', 6, 'Array'),
});

export const DAHDI_BUFFERINFO = koffi.struct('hotline_dahdi_bufferinfo', {
  txbufpolicy: 'int',
  rxbufpolicy: 'int',
  numbufs: 'int',
  bufsize: 'int',
  readbufs: 'int',
  writebufs: 'int',
});

export const DAHDI_DIALOPERATION = koffi.struct('hotline_dahdi_dialoperation', {
  op: 'int',
  dialstr: koffi.array('char', 256, 'Array'),
});

/** struct pollfd { int fd; short events; short revents; } */
export const POLLFD = koffi.struct('hotline_pollfd', { fd: 'int', events: 'short', revents: 'short' });

export type StructName = 'params' | 'spaninfo' | 'bufferinfo' | 'dialoperation' | 'pollfd';
const STRUCTS = { params: DAHDI_PARAMS, spaninfo: DAHDI_SPANINFO, bufferinfo: DAHDI_BUFFERINFO, dialoperation: DAHDI_DIALOPERATION, pollfd: POLLFD } as const;

export function sizeOf(s: StructName): number {
  return koffi.sizeof(STRUCTS[s]);
}

export function offsetOf(s: StructName, field: string): number {
  return koffi.offsetof(STRUCTS[s], field);
}

/** open(2) flags and poll(2) events (Linux generic values). */
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const EAGAIN = 11;
export const EINTR = 4;

/** libc as the driver uses it. Calls return the C result; -1 means see `errno()`. */
export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  read(fd: number, buf: Uint8Array): number;
  write(fd: number, buf: Uint8Array): number;
  /** ioctl(fd, request, buf): every DAHDI ioctl takes a pointer. */
  ioctl(fd: number, request: number, buf: Uint8Array): number;
  /** poll(2) on a libuv worker thread; `fds` is an array of `struct pollfd` (8 bytes each). */
  pollAsync(fds: Uint8Array, count: number, timeoutMs: number, done: (err: unknown, ready: number) => void): void;
  errno(): number;
}

let loaded: Libc | null = null;

export function loadLibc(path = 'libc.so.6'): Libc {
  if (loaded) return loaded;
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new DriverError('dlopen', null, `cannot load ${path}`, { cause: err });
  }
  const f = {
    open: lib.func('int open(const char *path, int flags, ...)'),
    close: lib.func('int close(int fd)'),
    read: lib.func('long read(int fd, _Out_ uint8_t *buf, unsigned long count)'),
    write: lib.func('long write(int fd, const uint8_t *buf, unsigned long count)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
    poll: lib.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)'),
  };
  loaded = {
    open: (p, flags) => f.open(p, flags, 'int', 0) as number,
    close: (fd) => f.close(fd) as number,
    read: (fd, buf) => Number(f.read(fd, buf, buf.length)),
    write: (fd, buf) => Number(f.write(fd, buf, buf.length)),
    ioctl: (fd, request, buf) => f.ioctl(fd, request, 'uint8_t *', buf) as number,
    pollAsync: (fds, count, timeoutMs, done) => f.poll.async(fds, count, timeoutMs, done),
    errno: () => koffi.errno(),
  };
  return loaded;
}
