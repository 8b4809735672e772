import test from 'ava';
import { ValidationError } from '../core/errors.js';
import { decideAfterReply, parseWorkflow, planStepEntry, resolveAssignees, type StepDefinition } from './workflow.js';

const step = (x: Partial<StepDefinition>): StepDefinition => ({ id: 's', name: 's', mode: 'serial', assign: { by: 'dispatcher' }, ...x });
const ctx = { acceptorId: 'user:a', previousActorId: 'user:p', chosen: undefined, directory: { superiorOf: (u: string) => (u === 'user:p' ? 'user:boss' : null) } };

test('definitions are validated: duplicate steps, empty flows, superior on the first step', (t) => {
  const dup = t.throws(() => parseWorkflow({ steps: [step({}), step({})] }), { instanceOf: ValidationError });
  t.deepEqual(dup.issues.map((i) => i.path), ['workflow.steps.1.id']);
  t.throws(() => parseWorkflow({ steps: [] }), { instanceOf: ValidationError });
  t.notThrows(() => parseWorkflow({ steps: [], directClose: true }));
  t.throws(() => parseWorkflow({ steps: [step({ assign: { by: 'relation', relation: 'superior' } })] }), { instanceOf: ValidationError });
  t.deepEqual(parseWorkflow({ steps: [step({})] }).acceptRoles, ['agent']);
});

test('assignees by role, department, person, relation and dispatcher', (t) => {
  t.deepEqual(resolveAssignees(step({ assign: { by: 'role', roles: ['gis'] } }), ctx), [{ kind: 'role', id: 'gis' }]);
  t.deepEqual(resolveAssignees(step({ assign: { by: 'department', departmentIds: ['d1'] } }), ctx), [{ kind: 'department', id: 'd1' }]);
  t.deepEqual(resolveAssignees(step({ assign: { by: 'person', userIds: ['user:q'] } }), ctx), [{ kind: 'user', id: 'user:q' }]);
  t.deepEqual(resolveAssignees(step({ assign: { by: 'relation', relation: 'acceptor' } }), ctx), [{ kind: 'user', id: 'user:a' }]);
  t.deepEqual(resolveAssignees(step({ assign: { by: 'relation', relation: 'superior' } }), ctx), [{ kind: 'user', id: 'user:boss' }]);
  t.throws(() => resolveAssignees(step({ assign: { by: 'relation', relation: 'superior' } }), { ...ctx, previousActorId: 'user:z' }), { instanceOf: ValidationError });
  t.throws(() => resolveAssignees(step({}), ctx), { instanceOf: ValidationError });
  const two = [{ kind: 'department' as const, id: 'a' }, { kind: 'department' as const, id: 'b' }];
  t.deepEqual(resolveAssignees(step({}), { ...ctx, chosen: two }), two);
  t.throws(() => resolveAssignees(step({}), { ...ctx, chosen: [two[0]!, two[0]!] }), { instanceOf: ValidationError });
  t.throws(() => resolveAssignees(step({ mode: 'countersign' }), { ...ctx, chosen: [two[0]!] }), { instanceOf: ValidationError });
});

test('serial queues all but the first; parallel and countersign start everyone', (t) => {
  const two = [{ kind: 'user' as const, id: 'a' }, { kind: 'user' as const, id: 'b' }];
  t.deepEqual(planStepEntry(step({ mode: 'serial' }), two).map((p) => p.status), ['pending', 'queued']);
  t.deepEqual(planStepEntry(step({ mode: 'parallel' }), two).map((p) => p.status), ['pending', 'pending']);
  t.deepEqual(planStepEntry(step({ mode: 'countersign' }), two).map((p) => p.status), ['pending', 'pending']);
});

test('after a reply: serial activates the next, parallel withdraws the rest, countersign waits for all', (t) => {
  const round = [
    { id: 1, seq: 0, status: 'pending' as const },
    { id: 2, seq: 1, status: 'queued' as const },
    { id: 3, seq: 2, status: 'queued' as const },
  ];
  t.deepEqual(decideAfterReply('serial', round, 1), { activate: 2, cancel: [], stepComplete: false });
  t.deepEqual(decideAfterReply('serial', [{ id: 1, seq: 0, status: 'replied' }, { id: 2, seq: 1, status: 'pending' }], 2), { activate: null, cancel: [], stepComplete: true });
  const all = [
    { id: 1, seq: 0, status: 'pending' as const },
    { id: 2, seq: 1, status: 'pending' as const },
    { id: 3, seq: 2, status: 'replied' as const },
  ];
  t.deepEqual(decideAfterReply('parallel', all, 2), { activate: null, cancel: [1], stepComplete: true });
  t.deepEqual(decideAfterReply('countersign', all, 2), { activate: null, cancel: [], stepComplete: false });
  t.deepEqual(decideAfterReply('countersign', all.map((a) => (a.id === 1 ? { ...a, status: 'replied' as const } : a)), 2), { activate: null, cancel: [], stepComplete: true });
});
