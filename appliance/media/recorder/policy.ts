/**
 * Which calls are recorded (issue 4 "Recording": "every call by policy (all / per queue / on
 * demand)"). Pure data and one decision function; call control asks it when a call reaches a
 * queue or an agent, and starts (or offers) the recording accordingly.
 *
 *   all        every call is recorded from the moment it is bridged
 *   per-queue  each queue says 'always', 'on-demand' or 'never'; calls outside a queue (an
 *              extension dialled directly) follow `outsideQueues`
 *   on-demand  nothing starts by itself; the agent (or supervisor) starts it when needed
 *
 * A decision is a value: `start` (record now), `offer` (record only if someone asks), `skip`.
 */
import { z } from 'zod';
import { RecordingEncodings } from './recorder.js';

export const RecordingModes = ['all', 'per-queue', 'on-demand'] as const;
export const QueueRecordingRules = ['always', 'on-demand', 'never'] as const;
export type QueueRecordingRule = (typeof QueueRecordingRules)[number];

export const RecordingPolicySchema = z
  .object({
    mode: z.enum(RecordingModes).default('all'),
    /** per-queue: queue id → rule; a queue not listed follows `defaultRule`. */
    queues: z.record(z.string().min(1), z.enum(QueueRecordingRules)).default({}),
    defaultRule: z.enum(QueueRecordingRules).default('always'),
    /** per-queue: calls that never reach a queue. */
    outsideQueues: z.enum(QueueRecordingRules).default('always'),
    encoding: z.enum(RecordingEncodings).default('alaw'),
    /** Play the periodic recording-notice beep to the parties. */
    beep: z.boolean().default(false),
  })
  .strict();
export type RecordingPolicy = z.infer<typeof RecordingPolicySchema>;

export interface RecordingDecision {
  action: 'start' | 'offer' | 'skip';
  encoding: RecordingPolicy['encoding'];
  beep: boolean;
  /** Why, for the log and the call's history. */
  because: string;
}

const ACTION: Readonly<Record<QueueRecordingRule, RecordingDecision['action']>> = { always: 'start', 'on-demand': 'offer', never: 'skip' };

export function decideRecording(policy: RecordingPolicy, call: { queueId: string | null }): RecordingDecision {
  const base = { encoding: policy.encoding, beep: policy.beep };
  switch (policy.mode) {
    case 'all':
      return { ...base, action: 'start', because: 'policy: all calls' };
    case 'on-demand':
      return { ...base, action: 'offer', because: 'policy: on demand' };
    case 'per-queue': {
      if (call.queueId === null) return { ...base, action: ACTION[policy.outsideQueues], because: `outside queues: ${policy.outsideQueues}` };
      const listed = policy.queues[call.queueId];
      const rule = listed ?? policy.defaultRule;
      return { ...base, action: ACTION[rule], because: listed ? `queue ${call.queueId}: ${rule}` : `queue ${call.queueId} not listed, default: ${rule}` };
    }
  }
}
