/**
 * One recording to Ogg Opus (RFC 7845), for the archive (opus-archive.ts): sox decodes the
 * stereo WAV (A-law or 16-bit PCM, caller left / agent right) to 16-bit PCM on a pipe, opusenc
 * (Debian opus-tools, libopus) encodes it at the archive's bit rate — both at nice 10, in the
 * background of a box carrying calls. The copy is written as `<out>.part`, fsynced, renamed and
 * its folder fsynced (the recordings' own durability order, DESIGN.md "Data"), then checked: an
 * Ogg stream whose first packet is an OpusHead with two channels, or the copy is refused.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../core/errors.js';
import { hashFile } from '../recorder/recorder.js';
import { nodeRecorderFs, type RecorderFs } from '../recorder/recorder-fs.js';

export interface TranscodeOptions {
  bitrateKbps: number;
  signal?: AbortSignal;
  fs?: RecorderFs;
}

export interface Transcoded {
  path: string;
  size: number;
  sha256: string;
}

export type Transcoder = (wav: string, out: string, o: TranscodeOptions) => Promise<Transcoded>;

/** The archive copy's name: the recording's, with `.opus` for `.wav`. */
export function archivePathFor(wav: string): string {
  return wav.replace(/\.wav$/i, '') + '.opus';
}

export const opusTranscoder: Transcoder = async (wav, out, o) => {
  const fs = o.fs ?? nodeRecorderFs;
  const part = `${out}.part`;
  await rm(part, { force: true });
  try {
    await pipeline(wav, part, o);
    const f = await fs.openRead(part);
    try {
      await f.sync();
      const head = new Uint8Array(64);
      const n = await f.read(head, 0);
      checkOpusHead(head.subarray(0, n), wav);
    } finally {
      await f.close();
    }
    await fs.rename(part, out);
    await fs.syncDir(path.dirname(out));
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
  const { sha256, size } = await hashFile(fs, out);
  return { path: out, size, sha256 };
};

/** `nice sox WAV -t wav -e signed -b 16 - | nice opusenc --bitrate N - PART` */
function pipeline(wav: string, part: string, o: TranscodeOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const sox = spawn('nice', ['-n', '10', 'sox', '-q', wav, '-t', 'wav', '-e', 'signed-integer', '-b', '16', '-'], { stdio: ['ignore', 'pipe', 'pipe'], ...(o.signal ? { signal: o.signal } : {}) });
    const enc = spawn('nice', ['-n', '10', 'opusenc', '--quiet', '--bitrate', String(o.bitrateKbps), '--comment', `SOURCE=${path.basename(wav)}`, '-', part], {
      stdio: ['pipe', 'ignore', 'pipe'],
      ...(o.signal ? { signal: o.signal } : {}),
    });
    sox.stdout.pipe(enc.stdin);
    let errors = '';
    sox.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
    enc.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
    // A pipe closed early by one side is reported by the exit codes, not as an EPIPE crash.
    enc.stdin.on('error', () => undefined);
    let soxCode: number | null = null;
    let failed: Error | null = null;
    sox.on('error', (err) => (failed ??= err));
    enc.on('error', (err) => (failed ??= err));
    sox.on('close', (code) => (soxCode = code));
    enc.on('close', (code) => {
      const done = (): void => {
        if (failed) reject(new AppError('INTERNAL', `opus archive of ${wav}: ${failed.message}`, { cause: failed }));
        else if (soxCode !== 0 || code !== 0) reject(new AppError('INTERNAL', `opus archive of ${wav}: sox exit ${String(soxCode)}, opusenc exit ${String(code)}: ${errors.trim() || 'no message'}`));
        else resolve();
      };
      if (sox.exitCode === null && sox.signalCode === null) sox.once('close', (c) => ((soxCode = c), done()));
      else done();
    });
  });
}

/** RFC 7845 §5.1: the first page carries the identification header "OpusHead", version 1, channel count. */
function checkOpusHead(head: Uint8Array, wav: string): void {
  const text = Buffer.from(head).toString('latin1');
  const at = text.indexOf('OpusHead');
  if (!text.startsWith('OggS') || at < 0 || head[at + 9] !== 2) throw new AppError('INTERNAL', `opus archive of ${wav}: the encoder's output is not a stereo Ogg Opus stream`);
}
