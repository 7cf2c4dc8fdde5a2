// Rewards and what the learner trains on (docs/azr.md §2 step 5, §4): each proposal and answer as a rollout, its
// reward (the sum of the shapers' terms), the training samples, and executor-supervised pairs.
import {
  type Faults,
  guard,
  type RewardContext,
  type RewardShaper,
  type Rollout,
  type Task,
  type TaskMode,
  totalReward,
} from '../plugins/index.ts';
import { type RolloutSample, sampleGroup } from '../wire/index.ts';
import type { ProposedTasks } from './propose.ts';
import { mean } from './solve.ts';

/** A sampled completion with what the learner needs to train on it. */
export interface SampledCompletion {
  completion: string;
  promptIds: number[];
  responseIds: number[];
  logprobs: number[];
}

/** A solver prompt and its gold answer, for executor-supervised learning. */
export interface SupervisedPair {
  prompt: string;
  target: string;
}

/**
 * A proposer's rollout; `pairs`, when its program had several valid (program, input) pairs, holds the rollout each
 * pair would be as a proposal of its own: the proposal's reward is their mean (docs/azr.md §4, "Several inputs per
 * program").
 */
export type ProposerRollout = Rollout & { pairs?: Rollout[] };

/**
 * The rollout of each proposal: parsed, valid (it became at least one task of `tasks`), and its task's solve rate
 * when `solveRates` is given (no rollouts: no r̄). A proposal with several tasks carries one rollout per task in
 * `pairs` (with `solveRates`, per task that has a rate: those rolled out); its own `task` is the first and its
 * `solveRate` the pairs' mean.
 */
export function proposerRollouts(
  mode: string,
  proposals: readonly { completion: string; proposal: unknown }[],
  tasks: ProposedTasks,
  solveRates?: ReadonlyMap<string, number>,
): ProposerRollout[] {
  return proposals.map((p, i) => {
    const made = tasks.of(i);
    const rollout = (task: Task | undefined): Rollout => ({
      role: 'proposer',
      mode,
      completion: p.completion,
      formatOk: p.proposal !== null,
      valid: task !== undefined,
      solveRate: task && solveRates ? solveRates.get(task.id) : undefined,
      task,
    });
    if (made.length <= 1) return rollout(made[0]);
    // With solve rates, only the pairs that were rolled out judge the program (`rolloutPairs`, docs/azr.md §4).
    const pairs = made.map(rollout).filter((r) => !solveRates || r.solveRate !== undefined);
    const rates = pairs.flatMap((r) => (r.solveRate === undefined ? [] : [r.solveRate]));
    return { ...rollout(made[0]), solveRate: rates.length ? mean(rates) : undefined, pairs };
  });
}

/** The rollout of each judged answer. */
export function solverRollouts(
  mode: string,
  answers: readonly { completion: string; formatOk: boolean; correct: boolean; task: Task }[],
): Rollout[] {
  return answers.map((a) => ({
    role: 'solver',
    mode,
    completion: a.completion,
    formatOk: a.formatOk,
    correct: a.correct,
    task: a.task,
  }));
}

/**
 * Each rollout's reward, and each shaper's term of it; a shaper that throws is a fault and adds 0. A proposer's
 * rollout with `pairs` gets the mean over its pairs of each pair's reward, and of each term (docs/azr.md §4).
 */
export function rewardRollouts(
  shapers: readonly RewardShaper[],
  rollouts: readonly ProposerRollout[],
  context: RewardContext,
  faults: Faults,
): { rewards: number[]; terms: Record<string, number>[] } {
  const rewards: number[] = [];
  const terms: Record<string, number>[] = [];
  for (const rollout of rollouts) {
    const results = (rollout.pairs ?? [rollout]).map((r) => totalReward(shapers, r, context, faults));
    rewards.push(mean(results.map((r) => r.reward)));
    const names = [...new Set(results.flatMap((r) => Object.keys(r.terms)))];
    terms.push(Object.fromEntries(names.map((name) => [name, mean(results.map((r) => r.terms[name] ?? 0))])));
  }
  return { rewards, terms };
}

/** Each shaper's mean term over a role's rollouts, by shaper name (a term a shaper did not give counts as 0). */
export function meanTerms(
  shapers: readonly RewardShaper[],
  terms: readonly Record<string, number>[],
): Record<string, number> {
  const names = [...new Set(shapers.map((s) => s.name))];
  return Object.fromEntries(names.map((name) => [name, mean(terms.map((t) => t[name] ?? 0))]));
}

/**
 * The training samples of one role's completions of a mode, in group `<mode>/<role>`; a completion with no
 * response tokens (a prompt that failed) is left out.
 */
export function trainingSamples(
  completions: readonly SampledCompletion[],
  rewards: readonly number[],
  mode: string,
  role: Rollout['role'],
): RolloutSample[] {
  return completions.flatMap((c, i) =>
    c.responseIds.length > 0
      ? [
          {
            promptIds: c.promptIds,
            responseIds: c.responseIds,
            samplingLogprobs: c.logprobs,
            reward: rewards[i]!,
            group: sampleGroup(mode, role),
          },
        ]
      : [],
  );
}

/**
 * Each task's solver prompt and gold answer, the answer followed by the prompt's first stop string (what ends a
 * completion). None when the mode has no gold answers; a mode call that throws is a fault and drops its task.
 */
export function supervisedPairs(mode: TaskMode, tasks: readonly Task[], faults: Faults): SupervisedPair[] {
  if (!mode.goldAnswer) return [];
  return tasks.flatMap((task) => {
    const pair = guard(
      faults,
      `mode:${mode.name}.goldAnswer`,
      () => {
        const prompt = mode.solverPrompt(task);
        return { prompt: prompt.text, target: mode.goldAnswer!(task) + (prompt.stop[0] ?? '') };
      },
      () => undefined,
    );
    return pair ? [pair] : [];
  });
}
