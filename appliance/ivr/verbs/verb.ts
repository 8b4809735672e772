/**
 * The shared base of every verb (jambonz's task.js): a verb is built from one validated node,
 * runs once with `exec`, and can be `kill()`ed — its signal aborts, any prompt, wait or adapter
 * call in flight stops, and `exec` rejects with VerbAborted. A verb answers with a Step: where
 * the runner goes next. Verbs never touch the runner, the event bus or other verbs.
 */
import type { Channel, Digit, PlayItem, PlayResult } from '../../channel/channel.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { DtmfBuffer } from '../dtmf-buffer.js';
import type { Flow, FlowNode, PromptRef } from '../flow-schema.js';
import type { IvrDeps } from '../runner.js';
import type { Variables } from '../ports.js';
import type { Lang } from '../say/index.js';
import { VerbAborted } from '../errors.js';

export type Step =
  /** Continue at `node`; undefined: the flow (or sub-flow) has no further node. */
  | { kind: 'next'; node: string | undefined }
  | { kind: 'subflow'; flow: Flow; returnTo: string | undefined }
  | { kind: 'return' }
  /** The IVR is done with this call; the channel now belongs to someone else or is gone. */
  | { kind: 'exit'; outcome: 'hungup' | 'enqueued' | 'transferred' | 'voicemail'; queue?: string; to?: string };

export const next = (node: string | undefined): Step => ({ kind: 'next', node });

export interface PlayOptions {
  bargeIn?: boolean;
  lang?: Lang;
  /** Stops this playback only (a hold prompt ended by the lookup's answer). */
  signal?: AbortSignal;
}

/** What a verb may use while it runs. `signal` aborts on hangup or kill. */
export interface VerbContext {
  readonly callId: string;
  readonly nodeId: string;
  readonly channel: Channel;
  readonly clock: Clock;
  readonly log: Logger;
  readonly vars: Variables;
  readonly lang: Lang;
  readonly deps: IvrDeps;
  readonly dtmf: DtmfBuffer;
  readonly signal: AbortSignal;
  /** Play prompts; with barge-in, a key already typed ahead skips the prompt. Throws VerbAborted on hangup/kill. */
  play(prompts: readonly PromptRef[], opts?: PlayOptions): Promise<PlayResult>;
  /** Play channel items as they are (tones, files). */
  playItems(items: readonly PlayItem[], opts?: PlayOptions): Promise<PlayResult>;
  /** Play catalogue prompt names (say module output). */
  playNames(names: readonly string[], opts?: PlayOptions): Promise<PlayResult>;
  nextDigit(timeoutMs: number): Promise<Digit | null>;
  render(template: string): string;
}

export abstract class Verb<N extends FlowNode = FlowNode> {
  private readonly ctl = new AbortController();

  constructor(
    readonly nodeId: string,
    readonly node: N,
  ) {}

  /** Aborted by kill(). */
  get killed(): AbortSignal {
    return this.ctl.signal;
  }

  kill(): void {
    if (!this.ctl.signal.aborted) this.ctl.abort(new VerbAborted());
  }

  abstract exec(ctx: VerbContext): Promise<Step>;
}
