import type { Migration } from './index.js';

/**
 * SLA escalation chains (issue 8 "warnings before breach and escalation chains after"): a policy
 * lists business minutes after the breach at which the order escalates one more level up the
 * organisation (level 1 is the breach itself). Each clock copies the chain from its policy, like
 * warn_percents, and counts how many levels have fired.
 */
export const m0015_sla_escalation: Migration = {
  version: 15,
  name: 'sla escalation chains',
  up: `
ALTER TABLE sla_policies ADD COLUMN escalate_minutes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE workorder_sla ADD COLUMN escalate_minutes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE workorder_sla ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;
`,
};
