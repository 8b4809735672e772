/**
 * The DAHDI user API (dahdi-linux `include/dahdi/user.h`) as numbers: ioctl request codes,
 * alarm bits, event codes, hook values, line-config and signalling flags, and the sizes of the
 * structs the ioctls carry. Written from the header; no koffi here, so the arithmetic is testable
 * on its own (user-h.test.ts) and ffi.ts checks its koffi struct layouts against these sizes.
 *
 * Linux `asm-generic/ioctl.h` encodes a request as
 *   dir << 30 | size << 16 | type << 8 | nr     (_IOC_NRBITS 8, _IOC_TYPEBITS 8, _IOC_SIZEBITS 14, _IOC_DIRBITS 2)
 * with _IOC_NONE 0, _IOC_WRITE 1, _IOC_READ 2. That holds on x86, x86-64, ARM and arm64, the
 * machines the appliance ships on; alpha, mips, powerpc and sparc use other widths and are not
 * supported. `_IOW(type, nr, T)` means "userspace writes a T to the kernel", i.e. the kernel reads.
 */

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;
const IOC_SIZEBITS = 14;

/** `_IOC(dir, type, nr, size)`, as an unsigned 32-bit number. */
export function ioc(dir: number, type: number, nr: number, size: number): number {
  if (!Number.isInteger(size) || size < 0 || size >= 1 << IOC_SIZEBITS) throw new RangeError(`ioctl size ${size} does not fit in ${IOC_SIZEBITS} bits`);
  if (type < 0 || type > 0xff || nr < 0 || nr > 0xff) throw new RangeError('ioctl type and nr are 8-bit');
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}
export const io = (type: number, nr: number): number => ioc(IOC_NONE, type, nr, 0);
export const ior = (type: number, nr: number, size: number): number => ioc(IOC_READ, type, nr, size);
export const iow = (type: number, nr: number, size: number): number => ioc(IOC_WRITE, type, nr, size);
export const iowr = (type: number, nr: number, size: number): number => ioc(IOC_READ | IOC_WRITE, type, nr, size);

/** user.h: `#define DAHDI_CODE 0xDA`. */
export const DAHDI_CODE = 0xda;

const INT = 4;
/** sizeof(struct dahdi_params): 12 ints, char name[40], 11 ints, __u32 chan_alarms. */
export const SIZEOF_DAHDI_PARAMS = 12 * INT + 40 + 11 * INT + 4;
/**
 * sizeof(struct dahdi_spaninfo), which is `__attribute__((packed))`: spanno, name[20], desc[40],
 * alarms, txlevel, rxlevel, bpvcount, crc4count, ebitcount, fascount, fecount, cvcount, becount,
 * prbs, errsec, irqmisses, syncsrc, numchans, totalchans, totalspans, lbo, lineconfig,
 * lboname[40], location[40], manufacturer[40], devicetype[40], irq, linecompat, spantype[6].
 */
export const SIZEOF_DAHDI_SPANINFO = INT + 20 + 40 + 3 * INT + 4 * INT + 5 * 4 + 7 * INT + 4 * 40 + 2 * INT + 6;
/** sizeof(struct dahdi_bufferinfo): six ints. */
export const SIZEOF_DAHDI_BUFFERINFO = 6 * INT;
/** sizeof(struct dahdi_dialoperation): int op; char dialstr[DAHDI_MAX_DTMF_BUF = 256]. */
export const SIZEOF_DAHDI_DIALOPERATION = INT + 256;

/** sizeof(struct dahdi_maintinfo): int spanno, int command. */
export const SIZEOF_DAHDI_MAINTINFO = 2 * INT;
/** sizeof(struct dahdi_lineconfig): int span, char name[20], int lbo, int lineconfig, int sync. */
export const SIZEOF_DAHDI_LINECONFIG = INT + 20 + 3 * INT;
/** sizeof(struct dahdi_chanconfig): int chan, char name[40], sigtype, deflaw, master, idlebits, char netdev_name[16]. */
export const SIZEOF_DAHDI_CHANCONFIG = INT + 40 + 4 * INT + 16;
/** sizeof(struct dahdi_ring_cadence): int ringcadence[DAHDI_MAX_CADENCE = 16]. */
export const DAHDI_MAX_CADENCE = 16;
export const SIZEOF_DAHDI_RING_CADENCE = DAHDI_MAX_CADENCE * INT;

export const DAHDI_GET_BLOCKSIZE = ior(DAHDI_CODE, 1, INT);
export const DAHDI_SET_BLOCKSIZE = iow(DAHDI_CODE, 1, INT);
export const DAHDI_FLUSH = iow(DAHDI_CODE, 3, INT);
export const DAHDI_GET_PARAMS = iowr(DAHDI_CODE, 5, SIZEOF_DAHDI_PARAMS);
export const DAHDI_SET_PARAMS = iow(DAHDI_CODE, 5, SIZEOF_DAHDI_PARAMS);
export const DAHDI_HOOK = iow(DAHDI_CODE, 7, INT);
export const DAHDI_GETEVENT = ior(DAHDI_CODE, 8, INT);
export const DAHDI_SPANSTAT = iowr(DAHDI_CODE, 10, SIZEOF_DAHDI_SPANINFO);
/** Maintenance commands (loopbacks, defect insertion, counter reset) on /dev/dahdi/ctl. */
export const DAHDI_MAINT = iow(DAHDI_CODE, 11, SIZEOF_DAHDI_MAINTINFO);
/** What dahdi_cfg sends for a `span=` line and a channel line; the appliance leaves them to dahdi_cfg. */
export const DAHDI_SPANCONFIG = iow(DAHDI_CODE, 18, SIZEOF_DAHDI_LINECONFIG);
export const DAHDI_CHANCONFIG = iow(DAHDI_CODE, 19, SIZEOF_DAHDI_CHANCONFIG);
export const DAHDI_GET_BUFINFO = ior(DAHDI_CODE, 27, SIZEOF_DAHDI_BUFFERINFO);
export const DAHDI_SET_BUFINFO = iow(DAHDI_CODE, 27, SIZEOF_DAHDI_BUFFERINFO);
export const DAHDI_DIAL = iow(DAHDI_CODE, 31, SIZEOF_DAHDI_DIALOPERATION);
export const DAHDI_AUDIOMODE = iow(DAHDI_CODE, 32, INT);
export const DAHDI_CHANNO = ior(DAHDI_CODE, 34, INT);
export const DAHDI_HDLCFCSMODE = iow(DAHDI_CODE, 37, INT);
export const DAHDI_SPECIFY = iow(DAHDI_CODE, 38, INT);
export const DAHDI_SETLAW = iow(DAHDI_CODE, 39, INT);
/** FXS ring cadence: ms on, ms off, …, ending with 0 (user.h struct dahdi_ring_cadence). */
export const DAHDI_SETCADENCE = iow(DAHDI_CODE, 42, SIZEOF_DAHDI_RING_CADENCE);
export const DAHDI_GETRXBITS = ior(DAHDI_CODE, 43, INT);
export const DAHDI_SETTXBITS = iow(DAHDI_CODE, 43, INT);
export const DAHDI_SETPOLARITY = iow(DAHDI_CODE, 92, INT);

/** Alarm condition bits (dahdi_spaninfo.alarms). */
export const DAHDI_ALARM = { RECOVER: 1 << 0, LOOPBACK: 1 << 1, YELLOW: 1 << 2, RED: 1 << 3, BLUE: 1 << 4, NOTOPEN: 1 << 5, LOS: 1 << 8, LFA: 1 << 9, LMFA: 1 << 10 } as const;

/** Line configuration bits (dahdi_spaninfo.lineconfig) that apply to E1. */
export const DAHDI_CONFIG = { AMI: 1 << 6, CCS: 1 << 8, HDB3: 1 << 9, CRC4: 1 << 10 } as const;

/** Signalling types (dahdi_params.sigtype) the appliance uses. */
export const DAHDI_SIG = {
  NONE: 0,
  FXSLS: (1 << 0) | (1 << 13),
  FXOLS: (1 << 3) | (1 << 12),
  CLEAR: 1 << 7,
  HDLCRAW: (1 << 8) | (1 << 7),
  HDLCFCS: (1 << 9) | (1 << 8) | (1 << 7),
  CAS: 1 << 15,
  HARDHDLC: (1 << 19) | (1 << 7),
} as const;

/** Events returned by DAHDI_GETEVENT. */
export const DAHDI_EVENT = {
  NONE: 0,
  ONHOOK: 1,
  RINGOFFHOOK: 2,
  WINKFLASH: 3,
  ALARM: 4,
  NOALARM: 5,
  ABORT: 6,
  OVERRUN: 7,
  BADFCS: 8,
  DIALCOMPLETE: 9,
  RINGERON: 10,
  RINGEROFF: 11,
  HOOKCOMPLETE: 12,
  BITSCHANGED: 13,
  POLARITY: 17,
  RINGBEGIN: 18,
  REMOVED: 20,
} as const;

/** Values for DAHDI_HOOK. */
export const DAHDI_HOOKSTATE = { ONHOOK: 0, OFFHOOK: 1, WINK: 2, FLASH: 3, START: 4, RING: 5, RINGOFF: 6 } as const;

/** DAHDI_MAINT commands the hw-test rig may use on a real card. */
export const DAHDI_MAINT_CMD = { NONE: 0, LOCALLOOP: 1, REMOTELOOP: 2, CRC_DEFECT: 8, BIPOLAR_DEFECT: 11, RESET_COUNTERS: 14, ALARM_SIM: 15 } as const;

export const DAHDI_LAW_ALAW = 2;
export const DAHDI_DIAL_OP_APPEND = 1;
export const DAHDI_POLICY_IMMEDIATE = 0;
/** A read returns -1 with errno ELAST (user.h: 500) when an event is waiting: fetch it with DAHDI_GETEVENT. */
export const DAHDI_ELAST = 500;
