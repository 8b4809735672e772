/**
 * Runs SS7 signalling (drivers/ss7 IsupSignalling) over a span's signalling timeslot: signal units
 * the span receives on timeslot 16 go to libss7, those libss7 writes go out on the span. Works with
 * any Span whose timeslot 16 is an HDLC channel (CCS framing, signalling `ss7`), simulated or
 * DAHDI; the simulated SS7 exchange uses it for the carrier's side, tests and the demo for the
 * appliance's side.
 */
import { IsupSignalling, type IsupSignallingDeps, type IsupSignallingOptions } from '../ss7/isup-link.js';
import { DriverError, type Span } from '../types.js';

export type IsupLinkOptions = Omit<IsupSignallingOptions, 'linkNo' | 'transmit' | 'timeslots'>;

export interface IsupLink {
  readonly isup: IsupSignalling;
  /** Detach from the signalling timeslot and close the libss7 linkset. */
  close(): void;
}

export function bindIsup(span: Span, opts: IsupLinkOptions, deps: IsupSignallingDeps): IsupLink {
  const d = span.dChannel;
  if (!d) throw new DriverError('ss7_add_link', null, `span ${span.spanNo} has no signalling channel (framing ${span.config.framing}, signalling ${span.config.signalling})`);
  const isup = new IsupSignalling(
    { ...opts, linkNo: span.spanNo, timeslots: span.bChannels.map((b) => b.timeslot), transmit: (su) => d.send(su) },
    deps,
  );
  const onFrame = (su: Uint8Array): void => isup.receiveFrame(su);
  d.on('frame', onFrame);
  return {
    isup,
    close() {
      d.off('frame', onFrame);
      isup.close();
    },
  };
}
