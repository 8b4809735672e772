/**
 * Flow validation on save. First the zod schema (flow-schema.ts), then the graph and the
 * catalogue; every problem names the node and the field:
 *
 *   missing-start      `start` is not a node
 *   bad-reference      a branch (next, options.1, onFail, cases.x…) names no node
 *   unreachable        no path from `start` reaches the node
 *   missing-prompt     a prompt name the catalogue does not hold (in the flow's language)
 *   unknown-queue / -adapter / -calendar / -flow / -document
 *   unknown-variable   a `{{name}}` (or switch var) that no node, built-in or flow var sets
 *   loop-without-exit  a cycle no node can leave (no branch out, no exit verb, no end)
 *
 * Problems come back in a stable order (flow order of nodes, then field) so callers and
 * tests can compare them exactly.
 */
import type { z } from 'zod';
import { FlowValidationError, type FlowProblem } from './errors.js';
import { BUILTIN_VARS, FlowSchema, OUTAGE_VARS, type Flow, type FlowNode, type PromptRef } from './flow-schema.js';
import type { ValidationCatalogue } from './ports.js';
import { sayPromptNames } from './say/index.js';
import { referencedVars } from './template.js';

/** Schema check only; throws FlowValidationError with `schema` problems. */
export function parseFlow(json: unknown): Flow {
  const r = FlowSchema.safeParse(json);
  if (r.success) return r.data;
  const id = typeof json === 'object' && json !== null && typeof (json as { id?: unknown }).id === 'string' ? (json as { id: string }).id : '?';
  throw new FlowValidationError(id, schemaProblems(r.error));
}

/** Schema plus graph and catalogue checks. `flow` is null when the schema check failed. */
export function checkFlow(json: unknown, catalogue: ValidationCatalogue): { flow: Flow | null; problems: FlowProblem[] } {
  const r = FlowSchema.safeParse(json);
  if (!r.success) return { flow: null, problems: schemaProblems(r.error) };
  return { flow: r.data, problems: validateFlow(r.data, catalogue) };
}

/** The flow, or a FlowValidationError listing every problem. */
export function assertValidFlow(json: unknown, catalogue: ValidationCatalogue): Flow {
  const { flow, problems } = checkFlow(json, catalogue);
  if (!flow || problems.length > 0) throw new FlowValidationError(flow?.id ?? idOf(json), problems);
  return flow;
}

function idOf(json: unknown): string {
  const id = (json as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : '?';
}

function schemaProblems(error: z.ZodError): FlowProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    const inNode = path[0] === 'nodes' && path.length >= 2;
    const rest = inNode ? path.slice(2) : path;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...rest, ...(keys.length ? [keys.join(',')] : [])].join('.');
    return { node: inNode ? path[1]! : null, field, code: 'schema' as const, message: issue.message };
  });
}

/** A branch out of a node: the field naming it and the target node id. */
export interface Edge {
  field: string;
  target: string;
}

export function edgesOf(node: FlowNode): Edge[] {
  const out: Edge[] = [];
  const add = (field: string, target: string | undefined): void => {
    if (target !== undefined) out.push({ field, target });
  };
  switch (node.verb) {
    case 'menu':
      for (const [k, v] of Object.entries(node.options)) add(`options.${k}`, v);
      add('onNoInput', node.onNoInput);
      add('onFail', node.onFail);
      break;
    case 'lookup':
      add('next', node.next);
      add('onNotFound', node.onNotFound);
      add('onFail', node.onFail);
      break;
    case 'switch':
      for (const [k, v] of Object.entries(node.cases)) add(`cases.${k}`, v);
      add('default', node.default);
      break;
    case 'calendar':
      add('open', node.open);
      add('closed', node.closed);
      add('holiday', node.holiday);
      break;
    case 'goto':
      add('target', node.target);
      break;
    case 'outage':
      add('next', node.next);
      add('onSurge', node.onSurge);
      break;
    case 'collect':
    case 'fax':
      add('next', node.next);
      add('onFail', node.onFail);
      break;
    case 'enqueue':
    case 'transfer':
      add('onFail', node.onFail);
      break;
    case 'play':
    case 'say':
    case 'set':
    case 'voicemail':
    case 'survey':
    case 'subflow':
      add('next', node.next);
      break;
    case 'return':
    case 'hangup':
      break;
  }
  return out;
}

/** Can a run leave the flow at this node without following an edge (exit verb, or end of flow)? */
function exitsHere(node: FlowNode): boolean {
  switch (node.verb) {
    case 'hangup':
    case 'return':
    case 'enqueue':
    case 'transfer':
      return true;
    case 'play':
    case 'say':
    case 'survey':
    case 'subflow':
      return node.next === undefined;
    default:
      return false;
  }
}

/** Every prompt list of a node with its field path. */
function promptsOf(node: FlowNode): Array<[string, readonly PromptRef[]]> {
  switch (node.verb) {
    case 'play':
      return [['prompts', node.prompts]];
    case 'menu':
      return [['prompt', node.prompt], ['invalidPrompt', node.invalidPrompt], ['timeoutPrompt', node.timeoutPrompt]];
    case 'collect':
      return [
        ['prompt', node.prompt],
        ['invalidPrompt', node.invalidPrompt],
        ...(node.confirm ? ([['confirm.prefix', node.confirm.prefix], ['confirm.question', node.confirm.question]] as Array<[string, PromptRef[]]>) : []),
      ];
    case 'say':
      return [['prefix', node.prefix], ['suffix', node.suffix]];
    case 'lookup':
      return [['holdPrompt', node.holdPrompt]];
    case 'enqueue':
    case 'transfer':
    case 'fax':
    case 'hangup':
      return [['prompt', node.prompt]];
    case 'voicemail':
      return [['prompt', node.prompt], ['thanksPrompt', node.thanksPrompt]];
    case 'survey':
      return [
        ...node.questions.map((q, i) => [`questions.${i}.prompt`, q.prompt] as [string, PromptRef[]]),
        ['invalidPrompt', node.invalidPrompt],
        ['thanksPrompt', node.thanksPrompt],
      ];
    default:
      return [];
  }
}

/** Template strings of a node with their field paths. */
function templatesOf(node: FlowNode): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [field, prompts] of promptsOf(node))
    prompts.forEach((p, i) => {
      if (typeof p === 'object' && 'tts' in p) out.push([`${field}.${i}.tts`, p.tts]);
      if (typeof p === 'object' && 'file' in p) out.push([`${field}.${i}.file`, p.file]);
    });
  switch (node.verb) {
    case 'say':
      out.push(['value', node.value]);
      break;
    case 'lookup':
      for (const [k, v] of Object.entries(node.params)) out.push([`params.${k}`, v]);
      break;
    case 'set':
      for (const [k, v] of Object.entries(node.vars)) out.push([`vars.${k}`, v]);
      break;
    case 'enqueue':
      out.push(['queue', node.queue]);
      break;
    case 'transfer':
      out.push(['to', node.to]);
      break;
    case 'fax':
      out.push(['document', node.document], ['to', node.to]);
      break;
    case 'outage':
      for (const f of ['area', 'announce', 'notifyOffer', 'notifyConfirm'] as const) {
        const v = node[f];
        if (v !== undefined) out.push([f, v]);
      }
      break;
    default:
      break;
  }
  return out;
}

/** Variables a node sets when it runs. */
function setsVars(node: FlowNode): string[] {
  switch (node.verb) {
    case 'set':
      return Object.keys(node.vars);
    case 'collect':
      return [node.var];
    case 'lookup':
      return [...Object.keys(node.assign), 'lookup_status', 'lookup_error'];
    case 'survey':
      return node.questions.map((q) => `survey_${q.id}`);
    case 'calendar':
      return ['calendar_state'];
    case 'enqueue':
      return ['enqueue_error'];
    case 'transfer':
      return ['transfer_error'];
    case 'fax':
      return ['fax_status', 'fax_error'];
    case 'voicemail':
      return ['voicemail_order'];
    case 'outage':
      return [...OUTAGE_VARS];
    default:
      return [];
  }
}

export function validateFlow(flow: Flow, cat: ValidationCatalogue): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const ids = Object.keys(flow.nodes);
  const nodes = flow.nodes;
  const problem = (node: string | null, field: string, code: FlowProblem['code'], message: string): void => {
    problems.push({ node, field, code, message });
  };

  if (!Object.hasOwn(nodes, flow.start)) problem(null, 'start', 'missing-start', `start node ${flow.start} does not exist`);

  const defined = new Set<string>([...BUILTIN_VARS, ...Object.keys(flow.vars)]);
  for (const id of ids) for (const v of setsVars(nodes[id]!)) defined.add(v);
  for (const [k, v] of Object.entries(flow.vars))
    for (const ref of referencedVars(v)) if (!defined.has(ref)) problem(null, `vars.${k}`, 'unknown-variable', `{{${ref}}} is never set`);

  const sayNames = sayPromptNames(flow.lang);
  for (const id of ids) {
    const node = nodes[id]!;
    for (const e of edgesOf(node))
      if (!Object.hasOwn(nodes, e.target)) problem(id, e.field, 'bad-reference', `${e.field} names node ${e.target}, which does not exist`);

    for (const [field, prompts] of promptsOf(node))
      prompts.forEach((p, i) => {
        if (typeof p === 'string' && !cat.prompts.has(p, flow.lang)) problem(id, `${field}.${i}`, 'missing-prompt', `prompt ${p} (${flow.lang}) is not in the catalogue`);
      });
    if (node.verb === 'say' || (node.verb === 'collect' && node.confirm)) {
      const lang = node.verb === 'say' ? (node.lang ?? flow.lang) : flow.lang;
      const missing = (lang === flow.lang ? sayNames : sayPromptNames(lang)).filter((n) => !cat.prompts.has(n, lang));
      if (missing.length > 0)
        problem(id, node.verb === 'say' ? 'kind' : 'confirm', 'missing-prompt', `the catalogue lacks say prompts (${lang}): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`);
    }

    for (const [field, text] of templatesOf(node))
      for (const ref of referencedVars(text)) if (!defined.has(ref)) problem(id, field, 'unknown-variable', `{{${ref}}} is never set`);
    if (node.verb === 'switch' && !defined.has(node.var)) problem(id, 'var', 'unknown-variable', `${node.var} is never set`);

    switch (node.verb) {
      case 'enqueue':
        if (referencedVars(node.queue).length === 0 && !cat.queues.has(node.queue)) problem(id, 'queue', 'unknown-queue', `queue ${node.queue} does not exist`);
        break;
      case 'lookup':
        if (!cat.adapters.has(node.adapter)) problem(id, 'adapter', 'unknown-adapter', `adapter ${node.adapter} is not configured`);
        break;
      case 'calendar':
        if (cat.calendars && !cat.calendars.has(node.calendar)) problem(id, 'calendar', 'unknown-calendar', `calendar ${node.calendar} does not exist`);
        break;
      case 'subflow':
        if (node.flow === flow.id) problem(id, 'flow', 'loop-without-exit', 'a flow cannot call itself');
        else if (cat.flows && !cat.flows.has(node.flow)) problem(id, 'flow', 'unknown-flow', `flow ${node.flow} is not published`);
        break;
      case 'fax':
        if (cat.documents && referencedVars(node.document).length === 0 && !cat.documents.has(node.document))
          problem(id, 'document', 'unknown-document', `document ${node.document} is not in the library`);
        break;
      case 'collect':
        if (node.pattern !== undefined && !compiles(node.pattern)) problem(id, 'pattern', 'schema', 'not a valid regular expression');
        break;
      case 'menu':
      case 'survey':
        break;
      default:
        break;
    }
    if ((node.verb === 'menu' || node.verb === 'collect') && (node.onFail === id || (node.verb === 'menu' && node.onNoInput === id)))
      problem(id, node.onFail === id ? 'onFail' : 'onNoInput', 'loop-without-exit', 'a caller who keeps failing would be sent back to the same node forever');
  }

  const reachable = reach(flow);
  for (const id of ids) if (!reachable.has(id)) problem(id, '', 'unreachable', `no path from ${flow.start} reaches ${id}`);

  for (const scc of closedCycles(flow)) {
    const first = scc[0]!;
    const edge = edgesOf(nodes[first]!).find((e) => scc.includes(e.target));
    problem(first, edge?.field ?? '', 'loop-without-exit', `nodes ${scc.join(' → ')} form a loop with no way out`);
  }

  const order = new Map(ids.map((id, i) => [id, i]));
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.node === null ? -1 : (order.get(a.p.node) ?? 0)) - (b.p.node === null ? -1 : (order.get(b.p.node) ?? 0)) || a.i - b.i)
    .map(({ p }) => p);
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function reach(flow: Flow): Set<string> {
  const seen = new Set<string>();
  const todo = Object.hasOwn(flow.nodes, flow.start) ? [flow.start] : [];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of edgesOf(flow.nodes[id]!)) if (Object.hasOwn(flow.nodes, e.target) && !seen.has(e.target)) todo.push(e.target);
  }
  return seen;
}

/**
 * Strongly connected components (Tarjan) that are cycles with no exit: no node in them has an
 * edge leaving the component, an exit verb, or a missing `next`. Nodes listed in flow order.
 */
function closedCycles(flow: Flow): string[][] {
  const ids = Object.keys(flow.nodes);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  const succ = (id: string): string[] => edgesOf(flow.nodes[id]!).map((e) => e.target).filter((t) => Object.hasOwn(flow.nodes, t));

  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of succ(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const members = new Set(comp);
      const cyclic = comp.length > 1 || succ(v).includes(v);
      const leaves = comp.some((id) => exitsHere(flow.nodes[id]!) || succ(id).some((t) => !members.has(t)));
      if (cyclic && !leaves) out.push(ids.filter((id) => members.has(id)));
    }
  };
  for (const id of ids) if (!index.has(id)) strong(id);
  return out;
}
