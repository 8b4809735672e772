/**
 * Start-up recovery of recordings a crash left open (issue 4: "a file left open by a crash is
 * repaired (header fixed) and registered at next start"). Walks the recording folder for
 * `*.wav.part`, fixes the RIFF/data/fact sizes from the real file length with repairWavFile
 * (codec/wav.ts), renames to `.wav`, fsyncs the folder and reports each as `interrupted` with
 * its hash, so the caller commits the row the crash prevented. A `.part` whose header cannot be
 * read (the crash came before the header reached the disk) is renamed to `.wav.broken` and
 * reported as `failed`, never silently deleted.
 */
import path from 'node:path';
import { decodeHeader, repairWavFile } from '../codec/wav.js';
import { hashFile, type RecordingClosed } from './recorder.js';
import { nodeRecorderFs, type RecorderFs } from './recorder-fs.js';

const PART = '.wav.part';

async function findParts(fs: RecorderFs, dir: string, out: string[]): Promise<void> {
  let entries: Array<{ name: string; dir: boolean }>;
  try {
    entries = await fs.list(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.dir) await findParts(fs, full, out);
    else if (e.name.endsWith(PART)) out.push(full);
  }
}

export async function recoverInterrupted(dir: string, fs: RecorderFs = nodeRecorderFs): Promise<RecordingClosed[]> {
  const parts: string[] = [];
  await findParts(fs, dir, parts);
  const out: RecordingClosed[] = [];
  for (const part of parts.sort()) out.push(await recoverPart(part, 'crash', fs));
  return out;
}

/**
 * Repair one `.wav.part` left open (by a crash at start-up scan, or by a media worker that died
 * under its calls): header fixed, renamed to `.wav`, hashed; `reason` says what interrupted it.
 */
export async function recoverPart(part: string, reason: string, fs: RecorderFs = nodeRecorderFs): Promise<RecordingClosed> {
  const finalPath = part.slice(0, -'.part'.length);
  const callId = path.basename(finalPath, '.wav');
  try {
    const r = await repairWavFile(part);
    await fs.rename(part, finalPath);
    await fs.syncDir(path.dirname(finalPath));
    const { sha256, size } = await hashFile(fs, finalPath);
    return {
      callId,
      path: finalPath,
      outcome: 'interrupted',
      reason,
      sha256,
      durationMs: r.durationMs,
      size,
      encoding: (await readFormat(fs, finalPath)) === 'pcm16' ? 'pcm16' : 'alaw',
      marks: [],
    };
  } catch (err) {
    const broken = `${finalPath}.broken`;
    await fs.rename(part, broken).catch(() => undefined);
    return {
      callId,
      path: broken,
      outcome: 'failed',
      reason: `unreadable: ${err instanceof Error ? err.message : String(err)}`,
      sha256: '',
      durationMs: 0,
      size: 0,
      encoding: 'alaw',
      marks: [],
    };
  }
}

async function readFormat(fs: RecorderFs, file: string): Promise<string> {
  const f = await fs.openRead(file);
  try {
    const probe = new Uint8Array(512);
    const n = await f.read(probe, 0);
    return decodeHeader(probe.subarray(0, n)).encoding;
  } finally {
    await f.close();
  }
}
