/**
 * Call quality estimate: ITU-T G.107 E-model R-factor, simplified for G.711 over RTP, mapped to
 * MOS-CQE by G.107 Annex B. Stored on the CDR per leg.
 *
 * Formula (G.107 with all defaults, so R0 - Is = 93.2, A = 0):
 *
 *   R     = 93.2 - Id - Ie,eff
 *   d     = latencyMs + jitterBufferMs + codecDelayMs              (one-way, mouth to ear)
 *   Id    = 0.024·d + 0.11·(d - 177.3)·H(d - 177.3)               (Cole & Rosenbluth's fit of
 *                                                                    G.107 Idd for default echo)
 *   Ie,eff = Ie + (95 - Ie) · Ppl / (Ppl / BurstR + Bpl)            (G.107 §7.4, eq. 7-29)
 *   MOS   = 1 + 0.035·R + R·(R - 60)·(100 - R)·7·10⁻⁶  for 0 < R < 100 (G.107 Annex B, B-4)
 *
 * with, for G.711 (ITU-T G.113 Appendix I): Ie = 0, Bpl = 25.1 with packet-loss concealment
 * (4.3 without). Ppl is the loss in percent, BurstR = 1 for random loss.
 * When the playout delay is not known, it is taken as 2 × jitter + one 20 ms frame, the usual
 * steady state of an adaptive jitter buffer; codec/packetization delay defaults to 20 ms.
 */

export interface QualityInput {
  /** One-way network delay in ms (RTT / 2 from RTCP when nothing better is known). */
  latencyMs: number;
  /** Interarrival jitter in ms (RFC 3550 A.8). */
  jitterMs: number;
  /** Packet loss in percent, 0–100 (after the jitter buffer: lost + late). */
  lossPercent: number;
  /** Playout buffer delay; default 2 × jitter + 20 ms. */
  jitterBufferMs?: number;
  /** Packetization + codec delay; default 20 ms (one G.711 frame). */
  codecDelayMs?: number;
  /** true when the receiver conceals loss (our jitter buffer does). */
  plc?: boolean;
  /** G.107 burst ratio; 1 = random loss. */
  burstRatio?: number;
}

export interface QualityEstimate {
  r: number;
  mos: number;
  delayMs: number;
  id: number;
  ieEff: number;
}

const R0_MINUS_IS = 93.2;
const G711_IE = 0;
const G711_BPL_PLC = 25.1;
const G711_BPL_NO_PLC = 4.3;

/** G.107 Annex B: R → MOS (CQE). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

export function delayImpairment(d: number): number {
  return 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
}

export function equipmentImpairment(lossPercent: number, plc = true, burstRatio = 1): number {
  const ppl = Math.max(0, Math.min(100, lossPercent));
  const bpl = plc ? G711_BPL_PLC : G711_BPL_NO_PLC;
  return G711_IE + ((95 - G711_IE) * ppl) / (ppl / burstRatio + bpl);
}

export function estimateQuality(q: QualityInput): QualityEstimate {
  const jitterBufferMs = q.jitterBufferMs ?? 2 * q.jitterMs + 20;
  const delayMs = Math.max(0, q.latencyMs) + jitterBufferMs + (q.codecDelayMs ?? 20);
  const id = delayImpairment(delayMs);
  const ieEff = equipmentImpairment(q.lossPercent, q.plc ?? true, q.burstRatio ?? 1);
  const r = Math.max(0, Math.min(100, R0_MINUS_IS - id - ieEff));
  return { r, mos: mosFromR(r), delayMs, id, ieEff };
}
