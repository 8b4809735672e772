/**
 * `GET /system/info`: what an integrator checks first — software version, uptime and the
 * database schema version (store/database.ts).
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/database.js';
import type { RouteRegistry } from '../registry.js';

export const SystemInfoSchema = z.strictObject({
  version: z.string().describe('Appliance software version'),
  uptimeSeconds: z.number().int().min(0),
  schemaVersion: z.number().int().min(0).describe('Database schema version'),
  now: z.iso.datetime().describe('Appliance wall-clock time'),
});

export function registerSystemRoutes(
  registry: RouteRegistry,
  deps: { clock: Clock; store: Store; version: string; startedMonotonic: number },
): void {
  registry.route({
    method: 'get',
    path: '/system/info',
    summary: 'Appliance version, uptime and schema version',
    tags: ['system'],
    scope: 'system:read',
    response: { description: 'System information', schema: SystemInfoSchema },
    handler: () => ({
      version: deps.version,
      uptimeSeconds: Math.floor((deps.clock.monotonic() - deps.startedMonotonic) / 1000),
      schemaVersion: deps.store.schemaVersion(),
      now: new Date(deps.clock.now()).toISOString(),
    }),
  });
}
