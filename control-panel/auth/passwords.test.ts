import test from 'ava';
import { dummyHash, hashPassword, passwordProblems, verifyPassword } from './passwords.js';

const cost = { N: 1024, r: 8, p: 1 };

test('scrypt hashes verify, carry their parameters and a per-hash salt', async (t) => {
  const a = await hashPassword('秘密 password 1', cost);
  const b = await hashPassword('秘密 password 1', cost);
  t.regex(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.not(a, b);
  t.true(await verifyPassword('秘密 password 1', a));
  t.false(await verifyPassword('秘密 password 2', a));
  t.false(await verifyPassword('', a));
});

test('the default cost is an OWASP scrypt setting', async (t) => {
  const h = await hashPassword('long enough password');
  t.regex(h, /^scrypt\$32768\$8\$3\$/);
  t.true(await verifyPassword('long enough password', h));
});

test('malformed stored hashes and the dummy hash never verify', async (t) => {
  for (const bad of ['', 'plain', 'scrypt$0$8$1$aa$bb', 'bcrypt$1$2$3$4$5']) t.false(await verifyPassword('x', bad));
  t.false(await verifyPassword('anything', dummyHash(cost)));
});

test('password policy: length 10–256, not containing the login', (t) => {
  t.deepEqual(passwordProblems('short', 'bob'), ['password.too-short']);
  t.deepEqual(passwordProblems('x'.repeat(257), 'bob'), ['password.too-long']);
  t.deepEqual(passwordProblems('my-Agent7-password', 'agent7'), ['password.is-login']);
  t.deepEqual(passwordProblems('十个汉字的密码足够长了吧', 'admin'), []);
});
