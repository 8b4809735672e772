/**
 * The telephony administration pages' services on a test store: the real ExtensionService
 * (sip/registrar) and call store (calls/call-store.ts), as the daemon passes them, plus a
 * fixed outbound route and trunk for the read-only page.
 */
import { SqliteCallStore } from '../../appliance/calls/call-store.js';
import type { Clock } from '../../appliance/core/clock.js';
import { ExtensionService, SqliteSipStore } from '../../appliance/sip/registrar/index.js';
import type { Store } from '../../appliance/store/database.js';
import type { TelephonyPanelDeps } from '../routes/telephony-ports.js';

export const TEST_REALM = 'hotline.test';

export interface TelephonyRig extends Required<TelephonyPanelDeps> {
  extensions: ExtensionService;
  routes: SqliteCallStore;
}

export function telephonyDeps(store: Store, clock: Clock): TelephonyRig {
  return {
    extensions: new ExtensionService({ store: new SqliteSipStore(store), clock, realm: TEST_REALM }),
    routes: new SqliteCallStore(store, () => clock.now()),
    outboundRoutes: () => [{ id: 'national', name: '国内长途', priority: 10, pattern: '_0X.', gateways: ['carrier-a'], enabled: true }],
    trunks: () => [{ id: 'carrier-a', name: '运营商 A', status: 'registered' }],
  };
}
