/**
 * The control panel's telephony administration pages (control-panel/routes/telephony-admin.ts)
 * on the daemon's store: the same ExtensionService the registrar reads through (config realm,
 * so H(A1) matches) and the call store's routes, read for every call; outbound routes and
 * SIP trunks read-only. Every one reads the database on use, so a change made in the panel
 * applies to the next REGISTER or call without a restart.
 */
import { SqliteCallStore } from '../calls/call-store.js';
import { SqliteOutboundStore } from '../calls/outbound-store.js';
import type { Clock } from '../core/clock.js';
import { ExtensionService, SqliteSipStore } from '../sip/registrar/index.js';
import type { TrunkService } from '../sip/trunks/trunk-service.js';
import type { Store } from '../store/database.js';
import type { TelephonyPanelDeps } from '../../control-panel/routes/telephony-ports.js';

export function panelTelephony(d: { store: Store; clock: Clock; realm: string; trunks?: TrunkService }): TelephonyPanelDeps {
  const now = (): number => d.clock.now();
  const outbound = new SqliteOutboundStore(d.store, now);
  const trunks = d.trunks;
  return {
    extensions: new ExtensionService({ store: new SqliteSipStore(d.store), clock: d.clock, realm: d.realm }),
    routes: new SqliteCallStore(d.store, now),
    outboundRoutes: () => outbound.routes(),
    ...(trunks && {
      trunks: () =>
        trunks.configs().map((t) => {
          const st = trunks.status(t.id);
          return { id: t.id, name: t.name, status: st ? `${st.up ? 'up' : 'down'}${st.reason ? ` (${st.reason})` : ''} ${st.channelsInUse}/${st.channels}` : 'unknown' };
        }),
    }),
  };
}
