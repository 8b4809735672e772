import test from 'ava';
import { newBranch, newTag } from './messages.js';

test('branches: magic cookie + 16 base64url characters (96 bits), all different across pool refills', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const b = newBranch();
    t.regex(b, /^z9hG4bK[A-Za-z0-9_-]{16}$/);
    seen.add(b);
  }
  t.is(seen.size, 3000);
});

test('tags: 16 hex characters (64 bits), all different across pool refills', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const tag = newTag();
    t.regex(tag, /^[0-9a-f]{16}$/);
    seen.add(tag);
  }
  t.is(seen.size, 3000);
});
