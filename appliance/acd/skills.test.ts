import test from 'ava';
import { ValidationError } from '../core/errors.js';
import type { RelaxationStep } from './model.js';
import { activeRequirements, activeStepIndex, checkSkills, nextRelaxation, validateSteps } from './skills.js';

const steps: RelaxationStep[] = [
  { afterMs: 0, requirements: [{ skill: 'billing', minProficiency: 4 }, { skill: 'cantonese', minProficiency: 3 }] },
  { afterMs: 30_000, requirements: [{ skill: 'billing', minProficiency: 2 }] },
  { afterMs: 90_000, requirements: [] },
];

test('a relaxation step applies from its afterMs inclusive, not a millisecond earlier', (t) => {
  t.is(activeStepIndex(steps, 0), 0);
  t.is(activeStepIndex(steps, 29_999), 0);
  t.is(activeStepIndex(steps, 30_000), 1);
  t.is(activeStepIndex(steps, 89_999), 1);
  t.is(activeStepIndex(steps, 90_000), 2);
  t.deepEqual(activeRequirements(steps, 90_000), []);
  t.deepEqual(activeRequirements([], 5), []);
});

test('nextRelaxation gives the wall time of the next step, null after the last', (t) => {
  t.deepEqual(nextRelaxation(steps, 1_000, 1_000), { at: 31_000, stepIndex: 1, requirements: steps[1]!.requirements });
  t.is(nextRelaxation(steps, 1_000, 31_000)?.at, 91_000);
  t.is(nextRelaxation(steps, 1_000, 91_000), null);
});

test('checkSkills scores matches and names every shortfall', (t) => {
  t.deepEqual(checkSkills({ billing: 5, cantonese: 3 }, steps[0]!.requirements), { ok: true, score: 8 });
  t.deepEqual(checkSkills({ billing: 3 }, steps[0]!.requirements), {
    ok: false,
    reasons: ['billing proficiency 3 < 4', 'lacks skill cantonese'],
  });
});

test('validateSteps rejects bad config with field paths', (t) => {
  const err = t.throws(
    () =>
      validateSteps(
        [
          { afterMs: 5, requirements: [{ skill: 'x', minProficiency: 6 }] },
          { afterMs: 5, requirements: [] },
        ],
        'queues.q1.skills',
        new Set(['billing']),
      ),
    { instanceOf: ValidationError },
  );
  t.deepEqual(
    err?.issues.map((i) => i.path),
    ['queues.q1.skills.0.afterMs', 'queues.q1.skills.0.requirements.0.minProficiency', 'queues.q1.skills.0.requirements.0.skill', 'queues.q1.skills.1.afterMs'],
  );
  t.notThrows(() => validateSteps(steps, 'q', new Set(['billing', 'cantonese'])));
});
