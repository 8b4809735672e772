import test from 'ava';
import { parseChoice, selectCard } from './select-card.js';

const none = (): boolean => false;
const all = (): boolean => true;

test('no HW_CARD means the simulated card', (t) => {
  t.is(selectCard(undefined, { exists: all }).kind, 'sim');
  t.is(selectCard('', { exists: all }).kind, 'sim');
});

test('auto picks sim without /dev/dahdi, and never crashes with it', (t) => {
  t.like(selectCard('auto', { exists: none }), { kind: 'sim' });
  const withDev = selectCard('auto', { exists: (p) => p === '/dev/dahdi' });
  t.like(withDev, { kind: 'dahdi' });
});

test('dahdi without /dev/dahdi is unavailable with a reason naming the device', (t) => {
  const s = selectCard('DAHDI', { exists: none });
  t.is(s.kind, 'unavailable');
  if (s.kind === 'unavailable') t.regex(s.reason, /no \/dev\/dahdi/);
});

test('an unknown HW_CARD value is rejected', (t) => {
  t.throws(() => parseChoice('isdn'), { message: /HW_CARD must be one of sim, dahdi, auto/ });
});

test('dahdi with /dev/dahdi selects the real card', (t) => {
  t.like(selectCard('dahdi', { exists: (p) => p === '/dev/dahdi' }), { kind: 'dahdi' });
  t.like(selectCard('dahdi', { exists: (p) => p === '/tmp/x/dahdi', dahdiDir: '/tmp/x/dahdi' }), { kind: 'dahdi' });
});
