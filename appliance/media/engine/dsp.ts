/**
 * The signal processing a media worker borrows from spandsp (drivers/spandsp, koffi): the Q.24
 * DTMF receiver for in-band detection and the T.30 fax terminal for fax on a leg. WorkerCore
 * takes them as a `MediaDsp` so its tests can run without them; worker-main.ts passes
 * `spandspDsp()`. spandsp is loaded on first use, in the thread that uses it.
 */
import { DtmfReceiver, type DtmfRxParms } from '../../../drivers/spandsp/dtmf.js';
import { FaxTerminal, type FaxOptions } from '../../../drivers/spandsp/fax.js';
import type { DigitDetectorFactory } from '../dtmf/inband.js';

export interface MediaDsp {
  dtmfDetector: DigitDetectorFactory;
  faxTerminal(opts: FaxOptions): FaxTerminal;
}

export function spandspDsp(parms: DtmfRxParms = {}): MediaDsp {
  return {
    dtmfDetector: (onDigit) => new DtmfReceiver(onDigit, undefined, parms),
    faxTerminal: (opts) => new FaxTerminal(opts),
  };
}
