/**
 * Ring strategies as pure functions `pick(candidates, queue, now)` (STYLE.md "Conventions"),
 * named after Asterisk app_queue's (configs/samples/queues.conf.sample):
 *
 *   ringall     "ring all available channels until one answers"            → ring-all
 *   leastrecent "ring interface which was least recently hung up by this queue" → least-recent
 *   fewestcalls "ring the one with fewest completed calls from this queue"  → fewest-calls
 *   random      "ring random interface"                                     → random
 *   rrmemory    "round robin with memory, remember where we left off last ring pass" → rr-memory
 *   linear      "rings interfaces in the order specified in this configuration file" → linear
 *
 * plus skills-based: the eligible agent with the highest proficiency on the caller's current
 * requirements, the longest idle among equals. Penalties work as in Asterisk: only members with
 * the lowest penalty among the candidates are offered ("members with a higher penalty are
 * only considered when all members with lower penalties are unavailable").
 *
 * Candidates have already passed eligibility (available, idle, member, skills); a strategy only
 * orders them. The ACD offers `agents[0]` (sequential) or all of `agents` at once (parallel).
 */
import type { Strategy } from './model.js';

export interface Candidate {
  agentId: string;
  /** Penalty of this agent's membership in the queue. */
  penalty: number;
  /** Calls this agent answered from this queue (Asterisk member `calls`). */
  calls: number;
  /** When the agent's last call from this queue ended; null = never had one. */
  lastCallEndedAt: number | null;
  /** Position of the membership in the queue's member list (linear, rr-memory). */
  order: number;
  /** Sum of proficiencies on the caller's current requirements (skills-based). */
  skillScore: number;
}

export interface StrategyQueueView {
  strategy: Strategy;
  /** Member order of the agent rr-memory offered last; null before the first offer. */
  rrLastOrder: number | null;
  /** A uniform number in [0, 1) (injected so tests are repeatable). */
  random: () => number;
}

export interface Pick {
  mode: 'parallel' | 'sequential';
  /** Agents in offer order. Empty when there are no candidates. */
  agents: readonly string[];
}

type Compare = (a: Candidate, b: Candidate) => number;

/** Never-called agents count as idle since forever; then the earlier hang-up wins. */
const byLeastRecent: Compare = (a, b) => (a.lastCallEndedAt ?? -Infinity) - (b.lastCallEndedAt ?? -Infinity) || a.order - b.order;
const byOrder: Compare = (a, b) => a.order - b.order;

export function pick(candidates: readonly Candidate[], queue: StrategyQueueView, _now: number): Pick {
  if (candidates.length <= 1)
    return { mode: queue.strategy === 'ring-all' ? 'parallel' : 'sequential', agents: candidates.length === 1 ? [candidates[0]!.agentId] : [] };
  const best = Math.min(...candidates.map((c) => c.penalty));
  const tier = candidates.filter((c) => c.penalty === best);
  const ids = (list: Candidate[]): string[] => list.map((c) => c.agentId);
  switch (queue.strategy) {
    case 'ring-all':
      return { mode: 'parallel', agents: ids([...tier].sort(byOrder)) };
    case 'least-recent':
      return { mode: 'sequential', agents: ids([...tier].sort(byLeastRecent)) };
    case 'fewest-calls':
      return { mode: 'sequential', agents: ids([...tier].sort((a, b) => a.calls - b.calls || byLeastRecent(a, b))) };
    case 'linear':
      return { mode: 'sequential', agents: ids([...tier].sort(byOrder)) };
    case 'rr-memory': {
      const last = queue.rrLastOrder;
      const after = (c: Candidate): number => (last === null || c.order > last ? 0 : 1);
      return { mode: 'sequential', agents: ids([...tier].sort((a, b) => after(a) - after(b) || byOrder(a, b))) };
    }
    case 'random': {
      const list = [...tier].sort(byOrder);
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(queue.random() * (i + 1));
        [list[i], list[j]] = [list[j]!, list[i]!];
      }
      return { mode: 'sequential', agents: ids(list) };
    }
    case 'skills-based':
      return {
        mode: 'sequential',
        agents: ids([...tier].sort((a, b) => b.skillScore - a.skillScore || byLeastRecent(a, b))),
      };
  }
}
