/**
 * The IVR's TtsPort (ivr/ports.ts) with espeak-ng and sox, the same tools and settings as the
 * prompt library (media/prompts/library.ts): espeak-ng speaks the text (Mandarin voice `cmn`,
 * English `en`) to a WAV, sox converts it to 8 kHz mono A-law — what the E1 side carries
 * (DESIGN.md "Call model": "8 kHz G.711 end to end (A-law on E1, as in China)") — and the result
 * is checked with the library's validatePrompt before use.
 *
 * Rendered text is cached by hash under `<promptDir>/tts/<lang>/<sha256(voice, text)>.wav`: an
 * outage announcement heard by a thousand callers is synthesized once. Files are written to a
 * temporary name and renamed into place, so a crash never leaves a half file under the cached
 * name; concurrent requests for the same text share one synthesis. A failed synthesis throws
 * (the play verb then logs the failed prompt, the caller is never left in silence forever).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PlayItem } from '../../channel/channel.js';
import { AppError } from '../../core/errors.js';
import type { TtsPort } from '../../ivr/ports.js';
import type { Lang } from '../../ivr/say/index.js';
import { validatePrompt } from '../../media/prompts/library.js';

export type TtsRun = (cmd: string, args: readonly string[], signal: AbortSignal) => Promise<void>;

const defaultRun: TtsRun = (cmd, args, signal) =>
  new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 30_000, signal }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr).trim() }));
      else resolve();
    });
  });

export interface EspeakTtsOptions {
  /** The prompt directory (media prompt library's dir); the cache is its `tts/` folder. */
  promptDir: string;
  voices?: Partial<Record<Lang, string>>;
  /** Words per minute (espeak-ng -s); default 150 as the prompt library. */
  speed?: number;
  /** Longest text accepted (characters); default 500. */
  maxChars?: number;
  run?: TtsRun;
}

export class TtsError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
  }
}

export class EspeakTts implements TtsPort {
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly run: TtsRun;
  private readonly voices: Record<Lang, string>;
  /** Syntheses actually run (cache misses), for metrics and tests. */
  rendered = 0;

  constructor(private readonly opts: EspeakTtsOptions) {
    this.run = opts.run ?? defaultRun;
    this.voices = { zh: 'cmn', en: 'en', ...opts.voices };
  }

  /** Where `text` in `lang` is (or will be) cached. */
  pathFor(text: string, lang: Lang): string {
    const voice = this.voices[lang];
    const hash = createHash('sha256').update(`${voice}\u0000${this.opts.speed ?? 150}\u0000${text}`).digest('hex');
    return path.join(this.opts.promptDir, 'tts', lang, `${hash}.wav`);
  }

  async render(text: string, lang: Lang, signal: AbortSignal): Promise<PlayItem> {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean === '') return { kind: 'silence', durationMs: 0 };
    if (clean.length > (this.opts.maxChars ?? 500)) throw new TtsError(`tts text longer than ${this.opts.maxChars ?? 500} characters`);
    const dest = this.pathFor(clean, lang);
    if (await exists(dest)) return { kind: 'file', path: dest };
    let job = this.inFlight.get(dest);
    if (!job) {
      job = this.synthesize(clean, lang, dest, signal).finally(() => this.inFlight.delete(dest));
      this.inFlight.set(dest, job);
    }
    return { kind: 'file', path: await job };
  }

  private async synthesize(text: string, lang: Lang, dest: string, signal: AbortSignal): Promise<string> {
    await mkdir(path.dirname(dest), { recursive: true });
    const tag = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const raw = `${dest}.espeak-${tag}.wav`;
    const tmp = `${dest}.sox-${tag}.wav`;
    try {
      // `--` keeps a text starting with "-" from being read as an option.
      await this.run('espeak-ng', ['-v', this.voices[lang], '-s', String(this.opts.speed ?? 150), '-w', raw, '--', text], signal);
      await this.run('sox', [raw, '-r', '8000', '-c', '1', '-e', 'a-law', tmp], signal);
      validatePrompt(new Uint8Array(await readFile(tmp)), `tts ${lang}`);
      await rename(tmp, dest);
      this.rendered++;
      return dest;
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new TtsError(`tts synthesis failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`, { cause: err });
    } finally {
      await rm(raw, { force: true });
      await rm(tmp, { force: true });
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
