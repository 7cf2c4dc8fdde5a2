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
import type { RolloutSample } from '../wire/index.ts';
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
 * The rollout of each proposal: parsed, valid (it became `tasks.get(i)`), and its task's solve rate when
 * `solveRates` is given (no rollouts: no r̄).
 */
export function proposerRollouts(
  mode: string,
  proposals: readonly { completion: string; proposal: unknown }[],
  tasks: ReadonlyMap<number, Task>,
  solveRates?: ReadonlyMap<string, number>,
): Rollout[] {
  return proposals.map((p, i) => {
    const task = tasks.get(i);
    return {
      role: 'proposer',
      mode,
      completion: p.completion,
      formatOk: p.proposal !== null,
      valid: task !== undefined,
      solveRate: task && solveRates ? solveRates.get(task.id) : undefined,
      task,
    };
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

/** Each rollout's reward, and each shaper's term of it; a shaper that throws is a fault and adds 0. */
export function rewardRollouts(
  shapers: readonly RewardShaper[],
  rollouts: readonly Rollout[],
  context: RewardContext,
  faults: Faults,
): { rewards: number[]; terms: Record<string, number>[] } {
  const rewards: number[] = [];
  const terms: Record<string, number>[] = [];
  for (const rollout of rollouts) {
    const result = totalReward(shapers, rollout, context, faults);
    rewards.push(result.reward);
    terms.push(result.terms);
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
            group: `${mode}/${role}`,
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
