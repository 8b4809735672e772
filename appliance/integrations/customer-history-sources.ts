/**
 * Telephony's side of a customer's history (customers/history.ts): the calls in the CDRs
 * (migration 0011, written by calls/call-store.ts) and the IVR survey scores stored with them
 * (migration 0018, ivr/call-records.ts), found by the spellings of the customer's numbers. They
 * implement the customers' HistorySource port here, in the integration layer, because the
 * customer module never imports telephony code (DESIGN.md); the daemon wires them. Read-only:
 * these tables belong to calls and the IVR. cdrs_caller / cdrs_called (migration 0022) make
 * the lookup an index probe per spelling.
 */
import { sql } from 'kysely';
import type { CallEntry, HistorySource, SurveyEntry } from '../customers/history.js';
import { windowCondition } from '../customers/history-sql.js';
import type { Store } from '../store/database.js';
import { SyncQueries } from '../store/sync-query.js';

const DIRECTIONS = ['inbound', 'outbound', 'internal'] as const;
const direction = (d: string): CallEntry['direction'] => (DIRECTIONS as readonly string[]).includes(d) ? (d as CallEntry['direction']) : 'internal';

export function callHistorySource(store: Pick<Store, 'sqlite' | 'db'>): HistorySource {
  const q = new SyncQueries(store.sqlite);
  return {
    kind: 'call',
    list: ({ numbers, window, limit }): CallEntry[] => {
      if (numbers.length === 0) return [];
      const mine = new Set(numbers);
      return q
        .all(
          store.db
            .selectFrom('cdrs as c')
            .select(['c.call_id', 'c.direction', 'c.caller', 'c.called', 'c.started_at', 'c.answered_at', 'c.ended_at', 'c.duration_ms', 'c.target_kind', 'c.target'])
            .where((eb) => eb.or([eb('c.caller', 'in', [...numbers]), eb('c.called', 'in', [...numbers])]))
            .where(windowCondition(sql.ref('c.started_at'), sql.ref('c.call_id'), window))
            .orderBy('c.started_at', 'desc')
            .orderBy('c.call_id', 'desc')
            .limit(limit)
            .compile(),
        )
        .map((r) => {
          const customerCalled = mine.has(r.caller);
          return {
            kind: 'call',
            id: r.call_id,
            at: r.started_at,
            direction: direction(r.direction),
            number: customerCalled ? r.caller : r.called,
            otherParty: customerCalled ? r.called : r.caller,
            answered: r.answered_at !== null,
            durationMs: r.duration_ms,
            endedAt: r.ended_at,
            targetKind: r.target_kind,
            target: r.target,
          };
        });
    },
  };
}

export function surveyHistorySource(store: Pick<Store, 'sqlite' | 'db'>): HistorySource {
  const q = new SyncQueries(store.sqlite);
  const at = sql<number>`max(s.recorded_at)`;
  const key = sql<string>`s.call_id || ' ' || s.survey`;
  return {
    kind: 'survey',
    list: ({ numbers, window, limit }): SurveyEntry[] => {
      if (numbers.length === 0) return [];
      const groups = q.all(
        store.db
          .selectFrom('ivr_survey_scores as s')
          .innerJoin('cdrs as c', 'c.call_id', 's.call_id')
          .select(['s.call_id', 's.survey'])
          .select([at.as('at'), key.as('id'), sql<string | null>`max(s.queue)`.as('queue'), sql<string | null>`max(s.agent_id)`.as('agent_id')])
          .where((eb) => eb.or([eb('c.caller', 'in', [...numbers]), eb('c.called', 'in', [...numbers])]))
          .groupBy(['s.call_id', 's.survey'])
          .having(windowCondition(at, key, window))
          .orderBy(at, 'desc')
          .orderBy(key, 'desc')
          .limit(limit)
          .compile(),
      );
      return groups.map((g) => {
        const scores = q.all(
          store.db
            .selectFrom('ivr_survey_scores')
            .select(['question', 'score'])
            .where('call_id', '=', g.call_id)
            .where('survey', '=', g.survey)
            .orderBy('question')
            .compile(),
        );
        const average = scores.length === 0 ? 0 : Math.round((scores.reduce((s, x) => s + x.score, 0) / scores.length) * 100) / 100;
        return { kind: 'survey', id: g.id, at: g.at, callId: g.call_id, survey: g.survey, scores, average, queue: g.queue, agentId: g.agent_id };
      });
    },
  };
}
