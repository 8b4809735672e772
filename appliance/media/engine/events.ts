/**
 * Media events on the appliance event bus (core/events.ts, by declaration merging). The
 * engine publishes them when given a bus; calls/ commits the `recordings` row on
 * `recording.file.closed` (the file is already fsynced and renamed by then) and ops/ raises
 * the alarm on `recording.alarm.raised`.
 */
import type { RecordingOutcome, PauseMark, RecordingEncoding } from '../recorder/recorder.js';

declare module '../../core/events.js' {
  interface EventMap {
    'recording.file.closed': {
      recordingId: string;
      callId: string;
      path: string;
      outcome: RecordingOutcome;
      reason: string | null;
      sha256: string;
      durationMs: number;
      size: number;
      encoding: RecordingEncoding;
      marks: PauseMark[];
    };
    'recording.alarm.raised': { recordingId: string; callId: string; reason: string; path: string };
    /** A media worker thread died under its calls (media-engine.ts onWorkerCrash). */
    'media.worker.failed': { index: number; reason: string; endpoints: number; recordings: number; restarting: boolean };
  }
}

export {};
