/**
 * The Digest check's extension lookup is served from memory (sip-store.ts `byAuthUser`): a
 * change through this process is seen by the next request; one committed by another connection
 * (the CLI, a restore) within a second of the clock; a disabled or removed phone stops
 * authenticating accordingly.
 */
import test from 'ava';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { ha1 } from '../auth/index.js';
import { ExtensionService } from './extension-service.js';
import { SqliteSipStore } from './sip-store.js';

test('credentials follow changes at once here, and within a second when another connection commits them', async (t) => {
  const file = path.join(tempDir('sip-store-'), 'a.db');
  const daemonStore = openStore({ file, clock: systemClock, log: silentLogger() });
  const cliStore = openStore({ file, clock: systemClock, log: silentLogger() });
  t.teardown(async () => {
    await cliStore.close();
    await daemonStore.close();
  });
  const clock = new ManualClock();
  const sip = new SqliteSipStore(daemonStore, () => clock.now());
  const daemon = new ExtensionService({ store: sip, clock, realm: 'hotline.local' });
  const cli = new ExtensionService({ store: new SqliteSipStore(cliStore, () => clock.now()), clock, realm: 'hotline.local' });

  daemon.create({ number: '1001', displayName: 'desk 1', password: 'first-password' });
  t.deepEqual(daemon.credentials('1001')?.ha1.MD5, ha1('MD5', '1001', 'hotline.local', 'first-password'));
  daemon.update('1001', { password: 'second-password' });
  t.deepEqual(daemon.credentials('1001')?.ha1.MD5, ha1('MD5', '1001', 'hotline.local', 'second-password'), 'a change here is seen by the next request');

  cli.update('1001', { enabled: false });
  cli.create({ number: '1002', displayName: 'desk 2', password: 'third-password' });
  t.true(daemon.credentials('1001')?.enabled, 'not re-read before the recheck interval');
  clock.advance(1000);
  t.false(daemon.credentials('1001')?.enabled, 'disabled by the CLI: seen within a second');
  t.is(daemon.credentials('1002')?.extension, '1002');

  daemon.remove('1002');
  t.is(daemon.credentials('1002'), null, 'removed here: gone at once');
  const record = sip.extensionByAuthUser('1001');
  if (record) record.enabled = true;
  t.false(daemon.credentials('1001')?.enabled, 'callers get a copy, not the cached record');
});
