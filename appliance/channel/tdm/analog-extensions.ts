/**
 * Extensions that are analog phones on the card's FXS ports (issue 5 "FXS: ring a phone …, send
 * caller-ID"): call control dials an extension number; when a phone on an FXS port owns that
 * number the leg is a TdmCallChannel over the analog ports' signalling
 * (drivers/analog/signalling.ts), rung with the caller's number and name as caller-ID, instead of
 * a SIP INVITE. Everything after (answer by going off hook, bridge, clearing) is the TDM leg's.
 */
import type { PartyNumber } from '../channel.js';
import type { TdmCallChannel } from '../tdm-channel.js';
import type { OriginateResult } from './span-legs.js';
import type { TdmSetup } from '../../../drivers/types.js';

export interface AnalogPhone {
  readonly extension: string;
  /** The FXS port the phone hangs on. */
  readonly port: number;
}

/** What call control asks (calls/call-handler.ts `localPhones`): null when no analog phone has the number. */
export interface LocalPhones {
  originate(extension: string, o: { caller: PartyNumber; affinity: string }): { ok: true; channel: TdmCallChannel } | { ok: false; reason: string } | null;
}

export class AnalogExtensions implements LocalPhones {
  private readonly ports: ReadonlyMap<string, number>;

  constructor(
    private readonly legs: { originate(p: TdmSetup & { affinity?: string }): OriginateResult },
    phones: readonly AnalogPhone[],
  ) {
    this.ports = new Map(phones.map((p) => [p.extension, p.port]));
  }

  has(extension: string): boolean {
    return this.ports.has(extension);
  }

  originate(extension: string, o: { caller: PartyNumber; affinity: string }): OriginateResult | null {
    const port = this.ports.get(extension);
    if (port === undefined) return null;
    return this.legs.originate({
      timeslot: port,
      called: extension,
      calling: o.caller.number,
      ...(o.caller.name ? { callingName: o.caller.name } : {}),
      presentation: o.caller.presentation,
      affinity: o.affinity,
    });
  }
}
