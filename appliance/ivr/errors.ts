/**
 * IVR errors as typed values. A flow refused on save is a FlowValidationError whose issues
 * each name the node and field; a runtime failure inside a verb is an IvrError with a `kind`
 * callers match on (never on the message). A caller hanging up is not an error: the runner
 * reports it as the `abandoned` outcome.
 */
import { AppError, ValidationError } from '../core/errors.js';

export const ProblemCodes = [
  'schema',
  'missing-start',
  'bad-reference',
  'unreachable',
  'missing-prompt',
  'unknown-queue',
  'unknown-adapter',
  'unknown-calendar',
  'unknown-flow',
  'unknown-document',
  'unknown-variable',
  'loop-without-exit',
] as const;
export type ProblemCode = (typeof ProblemCodes)[number];

/** One problem in a flow: `node` is null for flow-level fields (`start`, `vars`). */
export interface FlowProblem {
  node: string | null;
  field: string;
  code: ProblemCode;
  message: string;
}

export class FlowValidationError extends ValidationError {
  readonly problems: readonly FlowProblem[];

  constructor(flowId: string, problems: readonly FlowProblem[]) {
    super(
      `flow ${flowId}: ${problems.length} problem(s)`,
      problems.map((p) => ({ path: p.node ? `nodes.${p.node}.${p.field}` : p.field, message: `${p.code}: ${p.message}` })),
    );
    this.problems = problems;
  }
}

export const IvrErrorKinds = ['verb-failed', 'step-limit', 'bad-reference'] as const;
export type IvrErrorKind = (typeof IvrErrorKinds)[number];

export class IvrError extends AppError {
  readonly kind: IvrErrorKind;
  readonly node: string;

  constructor(kind: IvrErrorKind, node: string, message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
    this.kind = kind;
    this.node = node;
  }
}

/** Thrown inside a verb when the call ended or the verb was killed; the runner catches it. */
export class VerbAborted extends Error {
  constructor() {
    super('verb aborted');
    this.name = 'VerbAborted';
  }
}
