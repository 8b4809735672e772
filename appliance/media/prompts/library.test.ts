import test from 'ava';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../core/testing/temp-dir.js';
import { loadPrompt } from '../engine/player.js';
import { PromptLibrary, sayDigits } from './library.js';

test('default prompts are generated with espeak-ng + sox as 8 kHz mono A-law, Mandarin and English', async (t) => {
  const lib = new PromptLibrary(tempDir('prompts-'));
  const made = await lib.generateDefaults({ names: ['welcome', 'digit-7'] });
  t.deepEqual(made.map((p) => `${p.lang}/${p.name}`), ['zh-CN/welcome', 'zh-CN/digit-7', 'en/welcome', 'en/digit-7']);
  for (const p of made) {
    const info = execFileSync('sox', ['--i', p.path], { encoding: 'utf8' });
    t.regex(info, /Channels\s*:\s*1/);
    t.regex(info, /Sample Rate\s*:\s*8000/);
    t.regex(info, /A-law/);
    t.true(p.durationMs > 300, `${p.name} ${p.durationMs} ms`);
  }
  const zh = await lib.info('welcome', 'zh-CN');
  t.is(loadPrompt(zh.path, 'PCMU').length, (zh.durationMs * 8) | 0);
});

test('an upload in another format is converted; unsupported and corrupt files are refused with a reason', async (t) => {
  const dir = tempDir('prompts-');
  const lib = new PromptLibrary(dir);
  const src = path.join(dir, 'in.flac');
  execFileSync('sox', ['-n', '-r', '44100', '-c', '2', src, 'synth', '0.5', 'sine', '440']);
  const p = await lib.importUpload(src, 'holiday-notice', 'en');
  t.is(Math.round(p.durationMs), 500);
  t.regex(execFileSync('sox', ['--i', p.path], { encoding: 'utf8' }), /Channels\s*:\s*1/);

  const junk = path.join(dir, 'junk.mp9');
  writeFileSync(junk, 'this is not audio');
  const err = await t.throwsAsync(lib.importUpload(junk, 'holiday-notice', 'en'), { code: 'VALIDATION' });
  t.regex(err?.message ?? '', /not supported/);
  t.is(Math.round((await lib.info('holiday-notice', 'en')).durationMs), 500, 'the previous prompt is kept');

  writeFileSync(lib.path('broken', 'en'), 'RIFF....WAVEjunk');
  await t.throwsAsync(lib.info('broken', 'en'), { code: 'VALIDATION' });
  t.throws(() => lib.path('../etc/passwd', 'en'), { code: 'VALIDATION' });
  t.throws(() => lib.path('ok', 'fr' as 'en'), { code: 'VALIDATION' });
});

test('sayDigits names the digit prompts', (t) => {
  t.deepEqual(sayDigits('95598'), ['digit-9', 'digit-5', 'digit-5', 'digit-9', 'digit-8']);
  t.throws(() => sayDigits('12a'), { code: 'VALIDATION' });
});
