/**
 * calls/replaces.ts verdicts (RFC 3891 §3) on fakes: which leg an INVITE with Replaces may
 * replace and the status of every refusal. The wire behaviour is in replaces.e2e.test.ts.
 */
import test from 'ava';
import type { SipChannel } from '../channel/sip-channel.js';
import { systemClock } from '../core/clock.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import type { InviteSession } from '../sip/dialog/session.js';
import type { SipRequest } from '../sip/message/index.js';
import { parseMessage } from '../sip/parser/index.js';
import type { Call } from './call.js';
import { LegHandover } from './leg-handover.js';
import { ReplacesService } from './replaces.js';

function invite(replaces: string[]): SipRequest {
  const text = [
    'INVITE sip:1001@10.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK1',
    'From: <sip:1003@x>;tag=a',
    'To: <sip:1001@x>',
    'Call-ID: new-1',
    'CSeq: 1 INVITE',
    'Contact: <sip:1003@10.0.0.9>',
    ...replaces.map((r) => `Replaces: ${r}`),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const m = parseMessage(Buffer.from(text));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

const call = { id: 'call-1' } as Call;

function rig(o: { answered: boolean; role: 'uas' | 'uac'; ended?: boolean; party?: string }) {
  const session = { isAnswered: o.answered, role: o.role, ended: o.ended ?? false } as InviteSession;
  const channel = { id: 'leg-1', direction: 'outbound', level: o.answered ? 'connected' : 'alerting', called: { number: o.party ?? '1002' }, caller: { number: '1001' } } as unknown as SipChannel;
  const keys: string[] = [];
  const svc = new ReplacesService({
    clock: systemClock,
    log: silentLogger(),
    bus: new EventBus({ clock: systemClock, log: silentLogger() }),
    handover: new LegHandover(),
    sessionOf: (key) => {
      keys.push(key);
      return key === 'orig-1|ours|theirs' ? session : null;
    },
    legOf: (s) => (s === session ? { call, channel } : null),
    newLeg: () => {
      throw new Error('not in these tests');
    },
    track: () => undefined,
  });
  return { svc, keys, channel };
}

const user = (extension: string) => ({ user: { extension } });
const R = 'orig-1;to-tag=ours;from-tag=theirs';

test('the Replaces names our dialog by to-tag = local tag, from-tag = remote tag; no such dialog → 481', (t) => {
  const { svc, keys } = rig({ answered: true, role: 'uac' });
  t.like(svc.match(invite(['orig-1;to-tag=x;from-tag=y']), user('1002'), true), { ok: false, status: 481 });
  t.deepEqual(keys, ['orig-1|x|y']);
});

test('400 for two Replaces or a Replaces without both tags; 403 without an authenticated phone or from a trunk', (t) => {
  const { svc } = rig({ answered: true, role: 'uac' });
  t.like(svc.match(invite([R, R]), user('1002'), true), { ok: false, status: 400 });
  t.like(svc.match(invite(['orig-1;to-tag=ours']), user('1002'), true), { ok: false, status: 400 });
  t.like(svc.match(invite([R]), {}, true), { ok: false, status: 403 });
  t.like(svc.match(invite([R]), { trunk: { id: 't', codecs: ['PCMA'], lease: { release: () => undefined } } }, false), { ok: false, status: 403 });
});

test('early dialog we initiated → pickup by any extension; early dialog we did not initiate → 481; terminated → 603', (t) => {
  const early = rig({ answered: false, role: 'uac' });
  const v = early.svc.match(invite([R]), user('1004'), true);
  t.true(v.ok && v.early && v.replaced === early.channel && v.call === call);
  t.like(rig({ answered: false, role: 'uas' }).svc.match(invite([R]), user('1004'), true), { ok: false, status: 481 });
  t.like(rig({ answered: true, role: 'uac', ended: true }).svc.match(invite([R]), user('1002'), true), { ok: false, status: 603 });
});

test('confirmed dialog: early-only → 486; another extension → 403; the same extension → replace', (t) => {
  const { svc, channel } = rig({ answered: true, role: 'uac', party: '1002' });
  t.like(svc.match(invite([`${R};early-only`]), user('1002'), true), { ok: false, status: 486 });
  t.like(svc.match(invite([R]), user('1003'), true), { ok: false, status: 403 });
  const v = svc.match(invite([R]), user('1002'), true);
  t.true(v.ok && !v.early && v.replaced === channel);
  t.true(svc.match(invite([R]), {}, false).ok, 'no guard configured (test rigs): no extension check');
});
