/**
 * The prompt library (issue 4 "Prompts"): 8 kHz mono WAV files by name and language, laid out
 * as `<dir>/<lang>/<name>.wav`, used by the IVR through the media engine's `play`.
 *
 *  - `generateDefaults` builds the default set at setup with espeak-ng (Mandarin voice `cmn`,
 *    English `en`) and sox (`sox in.wav -r 8000 -c 1 -e a-law out.wav`);
 *  - `importUpload` converts an upload in any format sox reads the same way, validates the
 *    result and only then moves it into place (an unsupported or corrupt upload is refused with
 *    a ValidationError naming the reason; the previous prompt of that name is kept);
 *  - `validate` checks a file really is an 8 kHz mono G.711/PCM WAV (codec/wav.ts).
 *
 * The external tools run through an injected `run` so the library stays testable.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { SAMPLE_RATE } from '../codec/g711.js';
import { decode as decodeWav, type WavInfo } from '../codec/wav.js';

export const PromptLanguages = ['zh-CN', 'en'] as const;
export type PromptLanguage = (typeof PromptLanguages)[number];

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** espeak-ng voice per language. */
export const VOICES: Readonly<Record<PromptLanguage, string>> = { 'zh-CN': 'cmn', en: 'en' };

const DIGITS_ZH = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const DIGITS_EN = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** The default set: kept small — the IVR issue adds its own. */
export const DEFAULT_PROMPTS: Readonly<Record<string, Readonly<Record<PromptLanguage, string>>>> = {
  welcome: { 'zh-CN': '您好，欢迎致电服务热线。', en: 'Welcome to the customer service hotline.' },
  menu: {
    'zh-CN': '报修请按一，查询电费请按二，人工服务请按零。',
    en: 'For a fault report, press one. For your bill, press two. To speak to an agent, press zero.',
  },
  'please-hold': { 'zh-CN': '坐席忙，请稍候。', en: 'All our agents are busy. Please hold.' },
  goodbye: { 'zh-CN': '感谢您的来电，再见。', en: 'Thank you for calling. Goodbye.' },
  ...Object.fromEntries(DIGITS_EN.map((en, d) => [`digit-${d}`, { 'zh-CN': DIGITS_ZH[d] as string, en }])),
};

export type Run = (cmd: string, args: readonly string[]) => Promise<void>;

const defaultRun: Run = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }));
      else resolve();
    });
  });

export interface PromptInfo {
  name: string;
  lang: PromptLanguage;
  path: string;
  durationMs: number;
}

/** Check that `buf` is a playable prompt; returns its header or throws ValidationError. */
export function validatePrompt(buf: Uint8Array, what: string): WavInfo & { durationMs: number } {
  let info: WavInfo;
  let data: Uint8Array;
  try {
    ({ info, data } = decodeWav(buf));
  } catch (err) {
    throw new ValidationError(`${what}: not a WAV file we can play`, [{ path: 'file', message: err instanceof Error ? err.message : String(err) }]);
  }
  const issues = [];
  if (info.sampleRate !== SAMPLE_RATE) issues.push({ path: 'sampleRate', message: `${info.sampleRate} Hz, need 8000` });
  if (info.channels !== 1) issues.push({ path: 'channels', message: `${info.channels} channels, need mono` });
  if (data.length === 0) issues.push({ path: 'data', message: 'no audio' });
  if (issues.length > 0) throw new ValidationError(`${what}: not an 8 kHz mono prompt`, issues);
  return { ...info, durationMs: (data.length / info.blockAlign / info.sampleRate) * 1000 };
}

export class PromptLibrary {
  private readonly run: Run;

  constructor(
    readonly dir: string,
    deps: { run?: Run } = {},
  ) {
    this.run = deps.run ?? defaultRun;
  }

  private check(name: string, lang: string): asserts lang is PromptLanguage {
    const issues = [];
    if (!NAME.test(name)) issues.push({ path: 'name', message: 'lower-case letters, digits and dashes, at most 64' });
    if (!(PromptLanguages as readonly string[]).includes(lang)) issues.push({ path: 'lang', message: `one of ${PromptLanguages.join(', ')}` });
    if (issues.length > 0) throw new ValidationError('invalid prompt name or language', issues);
  }

  path(name: string, lang: PromptLanguage): string {
    this.check(name, lang);
    return path.join(this.dir, lang, `${name}.wav`);
  }

  /** Validate a stored prompt (a corrupt file is a ValidationError, not a crash mid-call). */
  async info(name: string, lang: PromptLanguage): Promise<PromptInfo> {
    const p = this.path(name, lang);
    const v = validatePrompt(new Uint8Array(await readFile(p)), `prompt ${lang}/${name}`);
    return { name, lang, path: p, durationMs: v.durationMs };
  }

  /** Convert any file sox reads into an 8 kHz mono A-law prompt, validated before it replaces the old one. */
  async importUpload(source: string, name: string, lang: PromptLanguage): Promise<PromptInfo> {
    const dest = this.path(name, lang);
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.upload-${process.pid}.wav`;
    try {
      try {
        await this.run('sox', [source, '-r', '8000', '-c', '1', '-e', 'a-law', tmp]);
      } catch (err) {
        const why = (err as { stderr?: string }).stderr || (err instanceof Error ? err.message : String(err));
        throw new ValidationError(`upload for ${lang}/${name}: format not supported`, [{ path: 'file', message: why }]);
      }
      const v = validatePrompt(new Uint8Array(await readFile(tmp)), `upload for ${lang}/${name}`);
      await rename(tmp, dest);
      return { name, lang, path: dest, durationMs: v.durationMs };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Synthesize prompts with espeak-ng + sox (all of DEFAULT_PROMPTS unless `names` is given). */
  async generateDefaults(opts: { names?: readonly string[]; langs?: readonly PromptLanguage[] } = {}): Promise<PromptInfo[]> {
    const names = opts.names ?? Object.keys(DEFAULT_PROMPTS);
    const langs = opts.langs ?? PromptLanguages;
    const out: PromptInfo[] = [];
    for (const lang of langs) {
      for (const name of names) {
        const text = DEFAULT_PROMPTS[name]?.[lang];
        if (!text) throw new ValidationError(`no default text for ${lang}/${name}`, [{ path: 'name', message: 'not in the default set' }]);
        const dest = this.path(name, lang);
        await mkdir(path.dirname(dest), { recursive: true });
        const raw = `${dest}.espeak-${process.pid}.wav`;
        try {
          await this.run('espeak-ng', ['-v', VOICES[lang], '-s', '150', '-w', raw, text]);
          out.push(await this.importUpload(raw, name, lang));
        } finally {
          await rm(raw, { force: true });
        }
      }
    }
    return out;
  }
}

/** Prompt names that speak a digit string one digit at a time (`say-digits` building block). */
export function sayDigits(digits: string): string[] {
  if (!/^[0-9]*$/.test(digits)) throw new ValidationError('sayDigits: digits only', [{ path: 'digits', message: digits }]);
  return [...digits].map((d) => `digit-${d}`);
}
