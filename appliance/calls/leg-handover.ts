/**
 * Ringing legs that change hands (issue 3: call pickup, transfer to a target that still rings).
 * CallHandler.dialExtension waits for the leg it placed to answer; two things may take that leg,
 * or its place, away from it while it rings:
 *
 *  - `substitute(leg, by)`: the ringing leg is being replaced by another one (RFC 3891 §3, an
 *    INVITE with Replaces naming the leg's early dialog: call pickup, calls/replaces.ts). When
 *    the replaced leg ends, the dial resolves "answered" with `by` instead of failing.
 *  - `adopt(leg)`: a transfer took the ringing leg over (RFC 5589 §7.3, the transferor sends the
 *    REFER while the consultation call still rings, calls/transfer-ringing.ts). The dial that
 *    placed it gives up without cancelling it; the transfer bridges it when it answers.
 */
import type { Channel } from '../channel/channel.js';

export class LegHandover {
  private readonly adopted = new WeakSet<Channel>();
  private readonly substitutes = new WeakMap<Channel, Channel>();
  private readonly taken = new WeakSet<Channel>();

  adopt(leg: Channel): void {
    this.adopted.add(leg);
  }

  /** Whether a transfer owns `leg` now (its dial must not cancel it). */
  isAdopted(leg: Channel): boolean {
    return this.adopted.has(leg);
  }

  substitute(leg: Channel, by: Channel): void {
    this.substitutes.set(leg, by);
  }

  /** The leg that takes `leg`'s place, once (the dial waiting for `leg` takes it). */
  takeSubstitute(leg: Channel): Channel | null {
    const by = this.substitutes.get(leg);
    if (!by) return null;
    this.substitutes.delete(leg);
    this.taken.add(leg);
    return by;
  }

  /** Whether a dial took the substitute of `leg` (else nobody was waiting for it). */
  wasTaken(leg: Channel): boolean {
    return this.taken.has(leg);
  }
}
