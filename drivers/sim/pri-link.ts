/**
 * Runs ISDN PRI signalling (drivers/libpri PriSignalling, either side) over a span's D channel:
 * frames the span receives go to libpri, frames libpri writes go out on the span. Works with any
 * Span, simulated or DAHDI; the simulated exchange uses it for its NET side, tests and the demo
 * for the appliance's CPE side.
 */
import { PriSignalling, type PriSignallingDeps } from '../libpri/pri-span.js';
import { DriverError, type Span } from '../types.js';

export interface PriLinkOptions {
  side: 'cpe' | 'net';
  /** libpri timer overrides (see PriSignallingOptions.timers). */
  timers?: Readonly<Record<string, number>>;
  debug?: boolean;
}

export interface PriLink {
  readonly pri: PriSignalling;
  /** Detach from the D channel and close the libpri controller. */
  close(): void;
}

export function bindPri(span: Span, opts: PriLinkOptions, deps: PriSignallingDeps): PriLink {
  const d = span.dChannel;
  if (!d) throw new DriverError('pri_new_cb', null, `span ${span.spanNo} has no D channel (framing ${span.config.framing}, signalling ${span.config.signalling})`);
  const pri = new PriSignalling(
    {
      spanNo: span.spanNo,
      side: opts.side,
      transmit: (frame) => d.send(frame),
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.debug ? { debug: true } : {}),
    },
    deps,
  );
  const onFrame = (frame: Uint8Array): void => pri.receiveFrame(frame);
  d.on('frame', onFrame);
  return {
    pri,
    close() {
      d.off('frame', onFrame);
      pri.close();
    },
  };
}
