/**
 * The file-system operations the recorder needs, as a small interface so a test can inject a
 * disk that fills up (ENOSPC) or fails in other ways. `nodeRecorderFs` is the real one.
 * Errors keep Node's shape: an Error with a string `code` ('ENOSPC', 'EIO', …).
 */
import { mkdir, open, readdir, rename, stat } from 'node:fs/promises';

export interface RecorderFile {
  /** Write `buf` at byte `position`; resolves to the bytes written. */
  write(buf: Uint8Array, position: number): Promise<number>;
  read(buf: Uint8Array, position: number): Promise<number>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface RecorderFs {
  mkdirp(dir: string): Promise<void>;
  /** Create a new file for writing; fails if it exists. */
  create(path: string): Promise<RecorderFile>;
  openRead(path: string): Promise<RecorderFile>;
  rename(from: string, to: string): Promise<void>;
  /** fsync a directory so a rename in it is durable. */
  syncDir(dir: string): Promise<void>;
  size(path: string): Promise<number>;
  /** Entries of a directory: names and whether each is a directory. */
  list(dir: string): Promise<Array<{ name: string; dir: boolean }>>;
}

function wrap(fh: import('node:fs/promises').FileHandle): RecorderFile {
  return {
    write: async (buf, position) => (await fh.write(buf, 0, buf.length, position)).bytesWritten,
    read: async (buf, position) => (await fh.read(buf, 0, buf.length, position)).bytesRead,
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}

export const nodeRecorderFs: RecorderFs = {
  mkdirp: async (dir) => {
    await mkdir(dir, { recursive: true });
  },
  create: async (path) => wrap(await open(path, 'wx+')),
  openRead: async (path) => wrap(await open(path, 'r')),
  rename: (from, to) => rename(from, to),
  syncDir: async (dir) => {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  size: async (path) => (await stat(path)).size,
  list: async (dir) => (await readdir(dir, { withFileTypes: true })).map((d) => ({ name: d.name, dir: d.isDirectory() })),
};

/** The errno code of a Node fs error, or null. */
export function errnoCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}
