/**
 * Skills with proficiency 1–5 and requirements that relax over queue wait in explicit steps
 * (Amazon Connect routing criteria "steps with expiry", Asterisk queuerules `penaltychange`).
 * A step applies from `afterMs` of wait inclusive: a step at 30 000 ms is in force at exactly
 * 30 000 ms. Everything here is pure; the ACD schedules a routing pass at each step's time.
 */
import { ValidationError, type FieldIssue } from '../core/errors.js';
import type { RelaxationStep, SkillRequirement } from './model.js';

/** Index of the step in force after `waitedMs` of wait, or -1 when there are no steps. */
export function activeStepIndex(steps: readonly RelaxationStep[], waitedMs: number): number {
  let idx = -1;
  for (let i = 0; i < steps.length; i++) if (steps[i]!.afterMs <= waitedMs) idx = i;
  return idx;
}

export function activeRequirements(steps: readonly RelaxationStep[], waitedMs: number): readonly SkillRequirement[] {
  const i = activeStepIndex(steps, waitedMs);
  return i < 0 ? [] : steps[i]!.requirements;
}

export interface NextRelaxation {
  /** Wall-clock ms when the next step takes effect. */
  at: number;
  stepIndex: number;
  requirements: readonly SkillRequirement[];
}

export function nextRelaxation(steps: readonly RelaxationStep[], enqueuedAt: number, now: number): NextRelaxation | null {
  const waited = now - enqueuedAt;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.afterMs > waited) return { at: enqueuedAt + s.afterMs, stepIndex: i, requirements: s.requirements };
  }
  return null;
}

export type SkillCheck = { ok: true; score: number } | { ok: false; reasons: string[] };

/** Does an agent with `skills` meet `requirements`? Score = sum of proficiencies on the required skills. */
export function checkSkills(skills: Readonly<Record<string, number>>, requirements: readonly SkillRequirement[]): SkillCheck {
  let score = 0;
  const reasons: string[] = [];
  for (const r of requirements) {
    const have = skills[r.skill];
    if (have === undefined) reasons.push(`lacks skill ${r.skill}`);
    else if (have < r.minProficiency) reasons.push(`${r.skill} proficiency ${have} < ${r.minProficiency}`);
    else score += have;
  }
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, score };
}

/**
 * Config check: steps start at 0, strictly increase, proficiencies are 1–5, and (when the set
 * of known skills is given) every skill exists. Throws ValidationError naming each field.
 */
export function validateSteps(steps: readonly RelaxationStep[], path: string, knownSkills?: ReadonlySet<string>): void {
  const issues: FieldIssue[] = [];
  steps.forEach((s, i) => {
    if (i === 0 && s.afterMs !== 0) issues.push({ path: `${path}.0.afterMs`, message: 'the first step must start at 0' });
    if (i > 0 && s.afterMs <= steps[i - 1]!.afterMs)
      issues.push({ path: `${path}.${i}.afterMs`, message: 'steps must be in increasing afterMs order' });
    s.requirements.forEach((r, j) => {
      if (!Number.isInteger(r.minProficiency) || r.minProficiency < 1 || r.minProficiency > 5)
        issues.push({ path: `${path}.${i}.requirements.${j}.minProficiency`, message: 'proficiency must be 1–5' });
      if (knownSkills && !knownSkills.has(r.skill))
        issues.push({ path: `${path}.${i}.requirements.${j}.skill`, message: `unknown skill ${r.skill}` });
    });
  });
  if (issues.length > 0) throw new ValidationError('invalid skill relaxation steps', issues);
}

export function validateAgentSkills(skills: Readonly<Record<string, number>>, path: string): void {
  const issues: FieldIssue[] = [];
  for (const [k, v] of Object.entries(skills))
    if (!Number.isInteger(v) || v < 1 || v > 5) issues.push({ path: `${path}.${k}`, message: 'proficiency must be 1–5' });
  if (issues.length > 0) throw new ValidationError('invalid agent skills', issues);
}
