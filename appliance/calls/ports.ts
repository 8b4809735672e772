/**
 * What call control needs from modules beside it, as small ports the daemon fills in:
 *  - ContactLocator: where an extension's phone is (sip/registrar `Registrar.lookup(aor)`, or a
 *    static table in tests);
 *  - InviteGuard: whether a new INVITE may go on (sip/auth digest challenge for phones, trunk
 *    ACLs later); answers with the response to send when not;
 *  - FlowProvider: the published IVR flow by id (ivr/flow-store, or the default 95598 flow).
 */
import type { Flow } from '../ivr/flow-schema.js';
import type { NextHop } from '../sip/dialog/dialog.js';
import type { SipRequest, Uri } from '../sip/message/index.js';
import type { Source } from '../sip/transport/index.js';

export interface LocatedContact {
  /** Request-URI for the INVITE (the registered Contact). */
  uri: Uri;
  /** Where to send it (the REGISTER's source address: NAT-safe). */
  hop: NextHop;
}

export interface ContactLocator {
  locate(extension: string): LocatedContact[];
}

export type GuardResult = { ok: true } | { ok: false; status: number; headers: ReadonlyArray<[string, string]> };

export interface InviteGuard {
  check(req: SipRequest, source: Source): GuardResult;
}

export interface FlowProvider {
  flow(flowId: string): Flow | null | Promise<Flow | null>;
}
