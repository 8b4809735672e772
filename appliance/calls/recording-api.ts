/**
 * The REST face of call recording (recording-control.ts, the ledger of migration 0020),
 * declared on the API route registry:
 *
 *   POST /calls/:id/recording/start    record a bridged call now (on demand)      calls:write
 *   POST /calls/:id/recording/stop     stop it (the file is closed and committed)  calls:write
 *   POST /calls/:id/recording/pause    silence from now, the span marked           calls:write
 *   POST /calls/:id/recording/resume                                               calls:write
 *   GET  /calls/:id/recording          the live call's recording state             calls:read
 *   GET  /recordings?callId=&limit=    ledger rows, newest first                   calls:read
 *   GET  /recordings/:id               one row                                      calls:read
 *   GET  /recordings/:id/file          the WAV (Range requests: RFC 9110 §14)       calls:read
 *
 * Pausing, resuming, starting and stopping are a person's changes: each is audited
 * (`call.recording.*`, with the call id).
 */
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { ArchiveRow } from '../media/archive/archive-store.js';
import type { RecordingRow } from '../media/recorder/ledger.js';
import type { AuditInput } from '../ops/audit.js';
import type { CallRecordings, CallRecordingState } from './recording-control.js';

export interface RecordingApiDeps {
  recordings: Pick<CallRecordings, 'start' | 'stop' | 'pause' | 'resume' | 'get'>;
  ledger: { list(o: { callId?: string; limit?: number }): RecordingRow[]; get(id: string): RecordingRow | null };
  audit: { record(input: AuditInput): Promise<unknown> };
  /** The Opus archive's rows (media/archive/archive-store.ts); without it there is no /archive route. */
  archive?: { get(recordingId: string): ArchiveRow | null };
}

const CallParams = z.strictObject({ id: z.string().min(1).max(128) });
const RecParams = z.strictObject({ id: z.string().min(1).max(64) });
const ListQuery = z.strictObject({
  callId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const StateSchema = z.object({
  callId: z.string(),
  decision: z.enum(['start', 'offer', 'skip']),
  because: z.string(),
  recording: z.boolean(),
  paused: z.boolean(),
  recordingId: z.string().nullable(),
});

const RowSchema = z.object({
  id: z.string(),
  callId: z.string(),
  state: z.enum(['open', 'complete', 'failed', 'interrupted', 'lost']),
  reason: z.string().nullable(),
  encoding: z.enum(['alaw', 'pcm16']),
  legs: z.array(z.object({ legId: z.string(), side: z.string() })),
  startedAt: z.number(),
  closedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  /** Paused spans, ms into the recording (the audio there is silence). */
  marks: z.array(z.object({ fromMs: z.number(), toMs: z.number() })),
  /** Where to fetch the audio (absent until the file is final). */
  file: z.string().nullable(),
});

function view(r: RecordingRow): z.infer<typeof RowSchema> {
  const final = r.state === 'complete' || r.state === 'interrupted' || r.state === 'failed';
  return {
    id: r.id,
    callId: r.callId,
    state: r.state,
    reason: r.reason,
    encoding: r.encoding,
    legs: r.legs,
    startedAt: r.startedAt,
    closedAt: r.closedAt,
    durationMs: r.durationMs,
    size: r.size,
    sha256: r.sha256,
    marks: r.marks,
    file: final && r.size !== null && r.size > 0 ? `/api/v1/recordings/${r.id}/file` : null,
  };
}

export function registerRecordingRoutes(registry: RouteRegistry, deps: RecordingApiDeps): void {
  const verbs: Array<{ verb: 'start' | 'stop' | 'pause' | 'resume'; summary: string }> = [
    { verb: 'start', summary: 'Start recording a bridged call (on demand)' },
    { verb: 'stop', summary: 'Stop recording a call (the file is closed and committed)' },
    { verb: 'pause', summary: 'Pause a call recording (silence recorded, span marked) for sensitive data' },
    { verb: 'resume', summary: 'Resume a paused call recording' },
  ];
  for (const { verb, summary } of verbs) {
    registry.route({
      method: 'post',
      path: `/calls/:id/recording/${verb}`,
      summary,
      tags: ['calls', 'recordings'],
      scope: 'calls:write',
      params: CallParams,
      errors: ['NOT_FOUND', 'CONFLICT'],
      response: { description: 'The call recording state after the change', schema: StateSchema },
      handler: async ({ params, actor }) => {
        const state: CallRecordingState = await deps.recordings[verb](params.id);
        await deps.audit.record({ actor: actor.actor, ip: actor.ip, action: `call.recording.${verb}`, target: params.id, after: state });
        return state;
      },
    });
  }

  registry.route({
    method: 'get',
    path: '/calls/:id/recording',
    summary: 'Recording state of a live bridged call',
    tags: ['calls', 'recordings'],
    scope: 'calls:read',
    params: CallParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The state', schema: StateSchema },
    handler: ({ params }) => {
      const s = deps.recordings.get(params.id);
      if (!s) throw new NotFoundError('bridged call', params.id);
      return s;
    },
  });

  registry.route({
    method: 'get',
    path: '/recordings',
    summary: 'Call recordings (ledger rows), newest first',
    tags: ['recordings'],
    scope: 'calls:read',
    query: ListQuery,
    response: { description: 'Rows', schema: z.object({ items: z.array(RowSchema) }) },
    handler: ({ query }) => ({ items: deps.ledger.list({ ...(query.callId ? { callId: query.callId } : {}), limit: query.limit ?? 100 }).map(view) }),
  });

  const row = (id: string): RecordingRow => {
    const r = deps.ledger.get(id);
    if (!r) throw new NotFoundError('recording', id);
    return r;
  };

  registry.route({
    method: 'get',
    path: '/recordings/:id',
    summary: 'One call recording',
    tags: ['recordings'],
    scope: 'calls:read',
    params: RecParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The row', schema: RowSchema },
    handler: ({ params }) => view(row(params.id)),
  });

  const archive = deps.archive;
  if (archive) {
    registry.route({
      method: 'get',
      path: '/recordings/:id/archive',
      summary: 'The Opus (Ogg) archive copy of a recording: where it is, its size and hash, or why it failed',
      tags: ['recordings'],
      scope: 'calls:read',
      params: RecParams,
      errors: ['NOT_FOUND'],
      response: {
        description: 'The archive row',
        schema: z.object({
          recordingId: z.string(),
          state: z.enum(['archived', 'failed']),
          path: z.string().nullable(),
          size: z.number().nullable(),
          sha256: z.string().nullable(),
          bitrateKbps: z.number(),
          reason: z.string().nullable(),
          archivedAt: z.number(),
          retryAfter: z.number().nullable(),
          /** When the volume deleted the WAV because this copy exists. */
          wavPrunedAt: z.number().nullable(),
        }),
      },
      handler: ({ params }) => {
        row(params.id);
        const a = archive.get(params.id);
        if (!a) throw new NotFoundError('recording archive', params.id);
        return a;
      },
    });
  }

  registry.route({
    method: 'get',
    path: '/recordings/:id/file',
    summary: 'The recording audio (stereo WAV: caller left, agent right); Range requests are served',
    tags: ['recordings'],
    scope: 'calls:read',
    params: RecParams,
    errors: ['NOT_FOUND', 'CONFLICT'],
    response: { description: 'audio/wav (206 for a Range request)', contentType: 'audio/wav' },
    handler: async ({ params, res }) => {
      const r = row(params.id);
      if (!view(r).file) throw new ConflictError(`recording ${r.id} has no final file (${r.state})`);
      await new Promise<void>((resolve, reject) => {
        res.sendFile(r.path, { acceptRanges: true, cacheControl: false, headers: { 'Content-Type': 'audio/wav', 'Content-Disposition': `attachment; filename="${r.callId}.wav"` } }, (err) => {
          if (!err || res.headersSent) resolve();
          else reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new NotFoundError('recording file', r.id) : err);
        });
      });
    },
  });
}
