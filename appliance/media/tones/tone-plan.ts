/**
 * Call-progress tone plans as data. The default is China's (YD/T 1.1 / GB 3380 family as
 * deployed by Chinese carriers; ITU-T E.180 Supplement 2 lists the same values):
 *
 *   dial tone        450 Hz continuous
 *   ringback tone    450 Hz, 1 s on, 4 s off
 *   busy tone        450 Hz, 0.35 s on, 0.35 s off
 *   congestion tone  450 Hz, 0.7 s on, 0.7 s off
 *   call waiting     450 Hz, 0.4 s on, 4 s off
 *
 * plus a short recording-notice beep (1400 Hz, 0.5 s, every 15 s) for the recorder. A plan for
 * another country is the same shape; `TonePlanSchema` validates one loaded from config.
 */
import { z } from 'zod';

export const ToneNames = ['dial', 'ringback', 'busy', 'congestion', 'call-waiting', 'record-beep'] as const;
export type ToneName = (typeof ToneNames)[number];

export const ToneSegmentSchema = z.object({
  /** Frequencies summed in this segment; empty = silence. */
  freqs: z.array(z.number().min(50).max(3950)).max(4),
  ms: z.number().int().positive().max(60_000),
});
export type ToneSegment = z.infer<typeof ToneSegmentSchema>;

export const ToneSpecSchema = z.object({
  segments: z.array(ToneSegmentSchema).min(1),
  /** Cycle the segments for as long as the tone plays; false = play once. */
  repeat: z.boolean(),
  /** Level of each frequency component, dBm0. */
  levelDbm0: z.number().min(-60).max(3),
});
export type ToneSpec = z.infer<typeof ToneSpecSchema>;

export const TonePlanSchema = z.object({
  country: z.string().min(2),
  tones: z.object(Object.fromEntries(ToneNames.map((n) => [n, ToneSpecSchema])) as Record<ToneName, typeof ToneSpecSchema>),
});
export type TonePlan = z.infer<typeof TonePlanSchema>;

const on = (freq: number, ms: number): ToneSegment => ({ freqs: [freq], ms });
const off = (ms: number): ToneSegment => ({ freqs: [], ms });

export const CHINA_TONE_PLAN: TonePlan = {
  country: 'CN',
  tones: {
    dial: { segments: [on(450, 1000)], repeat: true, levelDbm0: -10 },
    ringback: { segments: [on(450, 1000), off(4000)], repeat: true, levelDbm0: -10 },
    busy: { segments: [on(450, 350), off(350)], repeat: true, levelDbm0: -10 },
    congestion: { segments: [on(450, 700), off(700)], repeat: true, levelDbm0: -10 },
    'call-waiting': { segments: [on(450, 400), off(4000)], repeat: true, levelDbm0: -10 },
    'record-beep': { segments: [on(1400, 500), off(14_500)], repeat: true, levelDbm0: -14 },
  },
};

/** Validate a plan from configuration, with tones not given taken from `base`. */
export function tonePlanFrom(input: unknown, base: TonePlan = CHINA_TONE_PLAN): TonePlan {
  const partial = z
    .object({ country: z.string().min(2), tones: TonePlanSchema.shape.tones.partial() })
    .parse(input);
  return TonePlanSchema.parse({ country: partial.country, tones: { ...base.tones, ...partial.tones } });
}

/** Total length of one cadence cycle. */
export function cycleMs(spec: ToneSpec): number {
  return spec.segments.reduce((n, s) => n + s.ms, 0);
}
