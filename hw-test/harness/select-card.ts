/**
 * Which card the hw-test suite runs on: `HW_CARD=sim` (the default), `dahdi` (a real card with
 * span 1 cabled to span 2) or `auto` (dahdi when /dev/dahdi exists, else sim). The choice comes
 * in as a value; the spec files read it from the environment and pass it here.
 *
 * A rig that cannot run is a value with a reason, so every spec can skip cleanly and say why.
 * HW_RIG is accepted as a synonym of HW_CARD (the name for it).
 */
import { existsSync } from 'node:fs';

export const HwCardChoices = ['sim', 'dahdi', 'auto'] as const;
export type HwCardChoice = (typeof HwCardChoices)[number];

export type CardSelection =
  | { readonly kind: 'sim'; readonly why: string }
  | { readonly kind: 'dahdi'; readonly why: string }
  | { readonly kind: 'unavailable'; readonly wanted: 'dahdi'; readonly reason: string };

export interface SelectDeps {
  /** Whether a path exists (tests pass a fake). */
  exists?: (path: string) => boolean;
  /** Where the DAHDI device nodes live. */
  dahdiDir?: string;
}

export function parseChoice(value: string | undefined): HwCardChoice {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'sim';
  if ((HwCardChoices as readonly string[]).includes(v)) return v as HwCardChoice;
  throw new Error(`HW_CARD must be one of ${HwCardChoices.join(', ')}; got ${JSON.stringify(value)}`);
}

export function selectCard(value: string | undefined, deps: SelectDeps = {}): CardSelection {
  const choice = parseChoice(value);
  const exists = deps.exists ?? existsSync;
  const dir = deps.dahdiDir ?? '/dev/dahdi';
  if (choice === 'sim') return { kind: 'sim', why: value ? 'HW_CARD=sim' : 'HW_CARD not set: simulated card' };
  const present = exists(dir);
  if (choice === 'auto' && !present) return { kind: 'sim', why: `HW_CARD=auto and no ${dir}: simulated card` };
  if (!present) return { kind: 'unavailable', wanted: 'dahdi', reason: `HW_CARD=dahdi but there is no ${dir}: no DAHDI card in this machine` };
  return { kind: 'dahdi', why: `${choice === 'auto' ? 'HW_CARD=auto' : 'HW_CARD=dahdi'} and ${dir} present: the real card, span 1 cabled to span 2` };
}
