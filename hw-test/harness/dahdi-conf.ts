/**
 * The real rig's span setup: DAHDI fixes framing, CRC-4, line code, timing and each channel's
 * signalling when `dahdi_cfg` reads system.conf (dahdi-tools system.conf(5)), and DahdiCard
 * refuses a SpanConfig that does not match (drivers/dahdi/dahdi-card.ts). The specs need PRI,
 * SS7, clear-channel and R2 (CAS) spans in turn, so before a spec opens span 1 or 2 the rig
 * writes the system.conf both spans need (span 2 the mirror of span 1: the other PRI side,
 * timing 0) and runs `dahdi_cfg -c` when it differs from what was applied last.
 *
 * system.conf lines, per span `n` with first channel `b`:
 *   span=n,<timing>,0,<ccs|cas>,<hdb3|ami>[,crc4]
 *   PRI: bchan=b…b+14,b+16…b+30 and hardhdlc=b+15 (HDLC with FCS, as libpri frames are read)
 *   SS7: the same with dchan=b+15 (software HDLC; libss7's DAHDIDCHAN transport)
 *   none: bchan=b…b+30 (timeslot 16 a bearer like the others)
 *   R2:  cas=b…b+14,b+16…b+30:1101 (idle ABCD as openr2/DAHDI configure China No.1; our
 *        R2Signalling sets the bits itself once running)
 */
import { E1_SIGNALLING_TIMESLOT, type SpanConfig } from '../../drivers/types.js';

export interface RigSpan {
  readonly spanNo: number;
  readonly baseChan: number;
  readonly config: SpanConfig;
}

/** The far end of the crossover: the other PRI side, never a timing source. */
export function mirror(cfg: SpanConfig): SpanConfig {
  const signalling = cfg.signalling === 'pri_cpe' ? 'pri_net' : cfg.signalling === 'pri_net' ? 'pri_cpe' : cfg.signalling;
  return { ...cfg, signalling, timing: cfg.timing === 0 ? 1 : 0 };
}

/** What dahdi_cfg decides for a span; two configs with the same key need no reconfiguration. */
export function lineKey(cfg: SpanConfig): string {
  const ts16 = cfg.framing === 'cas' ? 'cas' : cfg.signalling === 'pri_cpe' || cfg.signalling === 'pri_net' ? 'hardhdlc' : cfg.signalling === 'ss7' ? 'dchan' : 'bchan';
  return [cfg.framing, cfg.lineCode, cfg.crc4 ? 'crc4' : 'nocrc4', `timing${cfg.timing}`, ts16].join('/');
}

function range(from: number, to: number): string {
  return `${from}-${to}`;
}

/** system.conf for `spans`. */
export function systemConf(spans: readonly RigSpan[]): string {
  const lines = ['# written by hw-test/harness/dahdi-conf.ts for the span 1 ↔ span 2 crossover rig'];
  for (const { spanNo, baseChan: b, config: c } of spans) {
    lines.push(`span=${spanNo},${c.timing},0,${c.framing},${c.lineCode}${c.crc4 ? ',crc4' : ''}`);
    const low = range(b, b + E1_SIGNALLING_TIMESLOT - 2);
    const high = range(b + E1_SIGNALLING_TIMESLOT, b + 30);
    const ts16 = b + E1_SIGNALLING_TIMESLOT - 1;
    if (c.framing === 'cas') {
      lines.push(`cas=${low},${high}:1101`);
      continue;
    }
    if (c.signalling === 'none') {
      lines.push(`bchan=${range(b, b + 30)}`);
      continue;
    }
    lines.push(`bchan=${low},${high}`);
    lines.push(`${c.signalling === 'ss7' ? 'dchan' : 'hardhdlc'}=${ts16}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Keeps DAHDI configured for what the specs open: `ensure(spanNo, cfg)` before each openSpan
 * applies (through `apply`, i.e. dahdi_cfg) the pair of span configs it implies, unless the
 * line setup already in force fits.
 */
export class RigSpanSetup {
  private applied: ReadonlyMap<number, string> = new Map();
  /** How many times the setup was (re)applied. */
  applications = 0;

  constructor(
    private readonly baseChanOf: (spanNo: number) => number,
    private readonly apply: (systemConf: string) => void,
  ) {}

  ensure(spanNo: number, cfg: SpanConfig): void {
    if (spanNo !== 1 && spanNo !== 2) {
      if (this.applied.get(spanNo) !== lineKey(cfg)) throw new Error(`the rig configures spans 1 and 2 only; span ${spanNo} must be set up by hand`);
      return;
    }
    if (this.applied.get(spanNo) === lineKey(cfg)) return;
    const other = spanNo === 1 ? 2 : 1;
    const spans: RigSpan[] = [
      { spanNo, baseChan: this.baseChanOf(spanNo), config: cfg },
      { spanNo: other, baseChan: this.baseChanOf(other), config: mirror(cfg) },
    ].sort((a, b) => a.spanNo - b.spanNo);
    this.apply(systemConf(spans));
    this.applications++;
    this.applied = new Map(spans.map((s) => [s.spanNo, lineKey(s.config)]));
  }
}
