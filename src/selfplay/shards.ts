// The arithmetic of sharding one generation request over replicas (docs/distributed.md, "Scaling generation"):
// rows split into contiguous ranges, one per replica, and the replies merged back in row order, so a request
// answered by N replicas equals the request answered by one.
import { type Faults, mergeFaults } from '../plugins/index.ts';

/** Rows start…end−1 of a request. */
export interface RowRange {
  start: number;
  end: number;
}

/**
 * `rows` split into at most `parts` contiguous, non-empty ranges in order, the first `rows % parts` one row longer
 * than the rest: none when there are no rows, fewer than `parts` when there are fewer rows.
 */
export function shardRanges(rows: number, parts: number): RowRange[] {
  const count = Math.max(0, Math.min(rows, Math.floor(parts)));
  const ranges: RowRange[] = [];
  const base = Math.floor(rows / Math.max(1, count));
  const longer = rows - base * count;
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + base + (i < longer ? 1 : 0);
    ranges.push({ start, end });
    start = end;
  }
  return ranges;
}

/** What a generator replies to one shard: its rows' results under `key`, its plugin faults, its compute time. */
export type ShardReply<K extends string, T> = { [P in K]: T[] } & { faults: Faults; computeMs: number };

/**
 * The replies of a request's shards, in row order, as one reply: the rows concatenated, the faults added (a part
 * keeps the first message in row order) and, since the shards run side by side, the longest compute time.
 */
export function mergeShardReplies<K extends string, T>(
  key: K,
  replies: readonly ShardReply<K, T>[],
): ShardReply<K, T> {
  const faults: Faults = {};
  for (const reply of replies) mergeFaults(faults, reply.faults);
  return {
    [key]: replies.flatMap((reply) => reply[key]),
    faults,
    computeMs: Math.max(0, ...replies.map((reply) => reply.computeMs)),
  } as ShardReply<K, T>;
}
