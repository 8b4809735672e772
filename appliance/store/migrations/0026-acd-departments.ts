import type { Migration } from './index.js';

/**
 * Migration 26: ACD agents belong to a work-order department (issue 9 "data scope by
 * department"; issue 6 supervisors steering their own queues). A queue's department is a field
 * of its QueueConfig JSON (0009 `acd_queues.config`), so only agents need a column. NULL: the
 * agent takes the department of the panel user whose login is its id, else none
 * (control-panel/live/acd-directory.ts). No REFERENCES: the Acd checks the department on
 * upsert, and a department removed later must not make a stored agent unloadable.
 */
export const m0026_acd_departments: Migration = {
  version: 26,
  name: 'acd agents: department',
  up: `
ALTER TABLE acd_agents ADD COLUMN department_id TEXT;
`,
};
