import test from 'ava';
import { stringify } from 'yaml';
import { parseConfig } from '../../core/config.js';
import { rigConfig, startRig } from './daemon-rig.js';

test('rigConfig: loopback, MD5 Digest, RTP after the SIP port; sections merged deeply, arrays and values replaced', (t) => {
  const c = rigConfig({ httpPort: 8080, sipPort: 40_000, rtpPorts: 20 }, { sip: { registrar: { qualifySeconds: 30 } }, acd: { reconcileIntervalMs: 1000 }, log: { level: 'debug' } });
  t.deepEqual(c['sip'], { host: '127.0.0.1', port: 40_000, transports: ['udp'], digestAlgorithms: ['MD5'], registrar: { qualifySeconds: 30 } });
  t.deepEqual(c['media'], { rtpPortMin: 40_006, rtpPortMax: 40_025, workers: 1 });
  t.deepEqual(c['acd'], { reconcileIntervalMs: 1000 });
  t.deepEqual(c['log'], { level: 'debug' });
  t.deepEqual(c['http'], { host: '127.0.0.1', port: 8080 });
  // What the rig writes is a config the daemon accepts, with the values the tests rely on.
  const parsed = parseConfig({ text: stringify(c), dataDirOverride: '/tmp/rig-data' });
  t.like(parsed.sip, { port: 40_000, digestAlgorithms: ['MD5'] });
  t.like(parsed.media, { rtpPortMin: 40_006, rtpPortMax: 40_025, workers: 1 });
});

test('a daemon that is not ready in time is killed and startRig rejects with why', async (t) => {
  const err = await t.throwsAsync(startRig({ phones: 0, readyTimeoutMs: 1 }));
  t.regex(err!.message, /not ready within 1 ms/);
});
