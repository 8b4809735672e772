import test from 'ava';
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ParseError } from '../../core/errors.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { encode as g711encode } from '../codec/g711.js';
import { encode as wavEncode } from '../codec/wav.js';
import { loadPrompt } from './player.js';

function writeTone(file: string, freq: number, ms: number): void {
  const pcm = new Int16Array(ms * 8);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(5000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  writeFileSync(file, wavEncode({ encoding: 'alaw', channels: 1, sampleRate: 8000 }, g711encode('PCMA', pcm)));
}

test('loadPrompt decodes a prompt once per law and reuses it; a re-recorded file (new size or mtime) is read again', (t) => {
  const file = path.join(tempDir('player-cache-'), 'menu.wav');
  writeTone(file, 440, 200);
  const a = loadPrompt(file, 'PCMA');
  t.is(a.length, 1600);
  t.is(loadPrompt(file, 'PCMA'), a, 'the same decoded codes, no second read');
  const u = loadPrompt(file, 'PCMU');
  t.not(u, a);
  t.is(u.length, 1600);
  writeTone(file, 440, 300);
  const longer = loadPrompt(file, 'PCMA');
  t.is(longer.length, 2400, 'a longer recording under the same name');
  writeTone(file, 880, 300); // same size: only the mtime tells
  const later = new Date(Date.now() + 5000);
  utimesSync(file, later, later);
  const b = loadPrompt(file, 'PCMA');
  t.is(b.length, 2400);
  t.notDeepEqual(b, longer, 'the 880 Hz recording, not the cached 440 Hz one');
});

test('loadPrompt: a file that is not an 8 kHz mono WAV is refused every time (nothing cached)', (t) => {
  const file = path.join(tempDir('player-cache-'), 'bad.wav');
  writeFileSync(file, wavEncode({ encoding: 'alaw', channels: 1, sampleRate: 16000 }, new Uint8Array(320)));
  t.throws(() => loadPrompt(file, 'PCMA'), { instanceOf: ParseError, message: /16000 Hz/ });
  t.throws(() => loadPrompt(file, 'PCMA'), { instanceOf: ParseError });
});
