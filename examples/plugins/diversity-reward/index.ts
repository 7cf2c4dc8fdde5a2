// An external azr plugin: a reward shaper that pays the proposer for novelty — how unlike a valid new program is
// to the programs already in its task mode's buffer, by the Jaccard distance of their token sets.
// It depends on azr for types only: the plugin object below is plain data and functions, checked against the
// plugin API version it declares.
import { Type } from '@sinclair/typebox';
import type { Plugin, Task } from 'azr';

/** Python-ish tokens: names, numbers, and single punctuation characters. */
export function tokens(code: string): Set<string> {
  return new Set(code.match(/[A-Za-z_]\w*|\d+|\S/g) ?? []);
}

/** 1 − |A ∩ B| / |A ∪ B|: 0 for the same token set, 1 for disjoint ones. */
export function jaccardDistance(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const token of a) if (b.has(token)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : 1 - shared / union;
}

/** Distance to the nearest of the (at most `window` most recent) buffered programs; 1 for an empty buffer. */
export function novelty(code: string, buffer: readonly Task[], window: number): number {
  const mine = tokens(code);
  let nearest = 1;
  for (const task of buffer.slice(-window))
    nearest = Math.min(nearest, jaccardDistance(mine, tokens(task.code)));
  return nearest;
}

const options = Type.Object({
  weight: Type.Number({
    minimum: 0,
    default: 0.5,
    description: 'Reward for a program unlike every buffered one.',
  }),
  window: Type.Integer({
    minimum: 1,
    default: 256,
    description: 'Most recent buffered tasks compared against.',
  }),
});

const plugin: Plugin<typeof options> = {
  apiVersion: 1,
  name: 'diversity-reward',
  description: 'Rewards valid proposals whose program is unlike the programs already in the buffer.',
  options,
  rewardShapers: (o) => [
    {
      name: 'diversity',
      needsBuffer: true,
      reward: (rollout, context) => {
        if (rollout.role !== 'proposer' || !rollout.valid || !rollout.task) return 0;
        const others = context.buffer.filter((task) => task.id !== rollout.task!.id);
        return o.weight * novelty(rollout.task.code, others, o.window);
      },
    },
  ],
};

export default plugin;
