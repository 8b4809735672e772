/**
 * Installation (业扩报装) progress lookups for the IVR, over the protocol of the installation
 * simulator (testing/installation-simulator.ts):
 *
 *   application-status {application} → applicationNo, applicant, kind, stage (受理…归档),
 *                                       stageNo, stageCount, submittedDate, stageUpdatedDate,
 *                                       nextStep, handlerPhone
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { HttpJsonClient, type HttpClientOptions } from './http-client.js';
import { HttpLookupAdapter, SAFE_ID, splitLocal, type HttpLookupOptions, type LookupOpSpec } from './http-lookup.js';

export const INSTALLATION_OPS: Readonly<Record<string, LookupOpSpec>> = {
  'application-status': {
    request: (p) => (p.application && SAFE_ID.test(p.application) ? { path: `v1/applications/${encodeURIComponent(p.application)}` } : null),
    fields: {
      applicationNo: 'applicationNo',
      applicant: 'applicant',
      kind: 'kind',
      stage: 'stage',
      stageNo: 'stageNo',
      stageCount: 'stageCount',
      submittedAt: 'submittedAt',
      stageUpdatedAt: 'stageUpdatedAt',
      nextStep: 'nextStep',
      handlerPhone: 'handlerPhone',
    },
    required: ['stage', 'stageNo'],
    derive: (d) => ({ submittedDate: splitLocal(d.submittedAt).date, stageUpdatedDate: splitLocal(d.stageUpdatedAt).date }),
    cacheTtlMs: 60_000,
  },
};

export interface InstallationLookupOptions extends Omit<HttpClientOptions, 'name' | 'clock' | 'log'>, Omit<HttpLookupOptions, 'clock'> {
  clock: Clock;
  log?: Logger;
  name?: string;
}

export function installationLookup(o: InstallationLookupOptions): HttpLookupAdapter {
  return new HttpLookupAdapter(new HttpJsonClient({ ...o, name: o.name ?? 'installation' }), INSTALLATION_OPS, o);
}
