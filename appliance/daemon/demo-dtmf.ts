/**
 * Timed DTMF for the demo exchange's calls (POST /api/v1/demo/calls `dtmf`): a caller script of
 * digits with pauses, so a PRI caller can walk an IVR the way a person does — listen to the
 * menu, key, wait for the answer — instead of keying every digit at once on connect.
 *
 *   { dtmf: [{ after: 'answer+3s', digits: '1' }, { after: '+1.2s', digits: '041000000001' }, …] }
 *
 * `answer+T` is T after the call was answered; `+T` is T after the previous step's digits
 * were handed to the generator. T is seconds (`3s`, `1.5s`) or milliseconds (`800ms`). Steps
 * run in order on the injected clock; the script stops when the call is released.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.js';

const AFTER = /^(answer)?\+(\d+(?:\.\d+)?)(s|ms)$/;

export const DtmfStepSchema = z.strictObject({
  after: z.string().regex(AFTER, "after is 'answer+3s', '+1.5s' or '+800ms'"),
  digits: z.string().regex(/^[0-9*#A-D]{1,32}$/),
});
export type DtmfStep = z.infer<typeof DtmfStepSchema>;

export const DtmfScriptSchema = z.array(DtmfStepSchema).min(1).max(64);

/** Each step's time after answer, ms, in order. */
export function planDtmf(steps: readonly DtmfStep[]): Array<{ atMs: number; digits: string }> {
  const out: Array<{ atMs: number; digits: string }> = [];
  let prev = 0;
  for (const s of steps) {
    const m = AFTER.exec(s.after);
    if (!m) throw new Error(`bad dtmf step after: ${s.after}`);
    const ms = Number(m[2]) * (m[3] === 's' ? 1000 : 1);
    const at = m[1] ? ms : prev + ms;
    prev = Math.max(prev, at);
    out.push({ atMs: prev, digits: s.digits });
  }
  return out;
}

/** Run the plan from now (the answer) on the clock; aborting `signal` cancels what is left. */
export function runDtmfScript(clock: Clock, steps: readonly DtmfStep[], put: (digits: string) => void, signal: AbortSignal): void {
  const start = clock.monotonic();
  const plan = planDtmf(steps);
  let i = 0;
  let timer: { cancel(): void } | null = null;
  const next = (): void => {
    if (signal.aborted || i >= plan.length) return;
    const step = plan[i]!;
    timer = clock.setTimeout(() => {
      i++;
      if (signal.aborted) return;
      put(step.digits);
      next();
    }, Math.max(0, start + step.atMs - clock.monotonic()));
  };
  signal.addEventListener('abort', () => timer?.cancel(), { once: true });
  next();
}
