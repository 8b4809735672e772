/**
 * One digit, one report: a phone that sends a key both as RFC 4733 telephone-events and as
 * in-band Q.23 tones (issue 4: "de-duplicated when a phone sends both") must not dial it twice.
 *
 * RFC 4733 §2.6 warns about exactly this: "the sender SHOULD NOT send both ... the receiver
 * MAY ... detect and suppress" duplicates. The two reports of one key press arrive at
 * different moments (the in-band detector fires ~30 ms after the tone starts; the engine reports
 * an RFC 4733 digit at its end), so a report is a duplicate when the same digit came from the
 * *other* source within `windowMs` and that earlier report has not already absorbed a
 * duplicate. Two real presses of the same key ("11") each have their own pair and both count.
 * Pure: times are passed in.
 */

export const DtmfSources = ['rfc4733', 'inband'] as const;
export type DtmfSource = (typeof DtmfSources)[number];

interface Seen {
  digit: string;
  source: DtmfSource;
  at: number;
  matched: boolean;
}

export class DtmfDeduplicator {
  private readonly seen: Seen[] = [];

  /** `windowMs`: the longest gap between the two reports of one press (default 400 ms). */
  constructor(private readonly windowMs = 400) {}

  /** True when the report is new (pass it on), false when it duplicates the other source. */
  accept(digit: string, source: DtmfSource, atMs: number): boolean {
    while (this.seen.length > 0 && atMs - (this.seen[0] as Seen).at > this.windowMs) this.seen.shift();
    const twin = this.seen.find((s) => !s.matched && s.digit === digit && s.source !== source);
    if (twin) {
      twin.matched = true;
      return false;
    }
    this.seen.push({ digit, source, at: atMs, matched: false });
    return true;
  }
}
