import { readFile } from 'node:fs/promises';
import test from 'ava';
import { tempDir } from '../../core/testing/temp-dir.js';
import { decode } from '../../media/codec/wav.js';
import { EspeakTts, TtsError, type TtsRun } from './espeak-tts.js';

const never = new AbortController().signal;

test('renders Mandarin and English with espeak-ng + sox to 8 kHz mono A-law, cached by hash', async (t) => {
  const tts = new EspeakTts({ promptDir: tempDir('tts-') });
  const zh = await tts.render('您所在区域因线路检修停电，预计今天十八点三十分恢复送电。', 'zh', never);
  t.is(zh.kind, 'file');
  if (zh.kind !== 'file') return;
  const { info, data } = decode(new Uint8Array(await readFile(zh.path)));
  t.is(info.sampleRate, 8000);
  t.is(info.channels, 1);
  t.is(info.encoding, 'alaw');
  t.true(data.length / 8000 > 2, `speech lasts ${data.length / 8000} s`);
  t.regex(zh.path, /\/tts\/zh\/[0-9a-f]{64}\.wav$/);
  const en = await tts.render('Power is expected back today at 18:30.', 'en', never);
  t.true(en.kind === 'file' && en.path.includes('/tts/en/'));
  t.is(tts.rendered, 2);
  const again = await tts.render('您所在区域因线路检修停电，预计今天十八点三十分恢复送电。', 'zh', never);
  t.deepEqual(again, zh);
  t.is(tts.rendered, 2, 'second render comes from the cache');
});

test('concurrent renders of one text share a synthesis; a failure leaves nothing cached', async (t) => {
  const calls: string[] = [];
  let fail = true;
  const run: TtsRun = async (cmd, args) => {
    calls.push(cmd);
    if (cmd === 'espeak-ng' && fail) throw Object.assign(new Error('exit 1'), { stderr: 'no voice' });
    const { execFileSync } = await import('node:child_process');
    execFileSync(cmd, [...args]);
  };
  const tts = new EspeakTts({ promptDir: tempDir('tts-'), run });
  const e = await t.throwsAsync(tts.render('停电通知', 'zh', never), { instanceOf: TtsError });
  t.regex(e?.message ?? '', /no voice/);
  fail = false;
  calls.length = 0;
  const [a, b] = await Promise.all([tts.render('停电通知', 'zh', never), tts.render('停电通知', 'zh', never)]);
  t.deepEqual(a, b);
  t.deepEqual(calls, ['espeak-ng', 'sox']);
  t.deepEqual(await tts.render('   ', 'zh', never), { kind: 'silence', durationMs: 0 });
  await t.throwsAsync(tts.render('长'.repeat(501), 'zh', never), { instanceOf: TtsError });
});
