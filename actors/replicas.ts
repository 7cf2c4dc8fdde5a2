// A generating actor's replicas asked as one actor (docs/distributed.md, "Scaling generation"). A topology entry
// with `count: N` runs NAME-0 … NAME-N-1 (on any host); the coordinator asks the group as it asked the one actor:
// a generation request is split into contiguous row ranges, one shard per replica, sent side by side and merged
// in row order (src/selfplay/shards.ts), so the reply equals one generator's; a broadcast (new weights) goes to
// every replica. A replica whose host dies mid-shard gets the shard again on its restarted incarnation (after the
// last broadcast), and on `host: remote` a lost node's shard is redelivered to another node: the runtime's retry.
import type { AnyMessage, ActorContext, ActorRef, AskOptions, ProtocolSpec } from '../src/runtime/index.ts';
import { mergeShardReplies, type ShardReply, shardRanges } from '../src/selfplay/shards.ts';

/** Where a sharded message keeps its rows (request field) and its results (reply field). */
export interface ShardedMessage {
  rows: string;
  results: string;
}

/** The generators' sharded messages: the proposer's `propose` (by references), the solver's `solve` (by task). */
export const generatorShards: Record<string, ShardedMessage> = {
  propose: { rows: 'references', results: 'proposals' },
  solve: { rows: 'tasks', results: 'answers' },
};

/** The names of an entry's replicas, as the topology builder spawns them: NAME for one, NAME-i for several. */
export const replicaNames = (name: string, count: number): string[] =>
  count <= 1 ? [name] : Array.from({ length: count }, (_, i) => `${name}-${i}`);

/**
 * The replicas of `name` (`count` of them) as one ref: the `sharded` messages are split over them, messages whose
 * type is in `everyone` go to each (the reply is the first replica's, with the longest `computeMs` when there is
 * one), any other message goes to the first replica. One replica: the plain ref, unchanged.
 */
export function replicaGroup<S extends ProtocolSpec>(
  ctx: Pick<ActorContext, 'ref'>,
  name: string,
  count: number,
  sharded: Record<string, ShardedMessage> = generatorShards,
  everyone: readonly string[] = ['setWeights'],
): ActorRef<S> {
  if (count <= 1) return ctx.ref<S>(name);
  const replicas = replicaNames(name, count).map((replica) => ctx.ref<S>(replica));
  const ask = async (message: AnyMessage<S>, options?: AskOptions): Promise<any> => {
    const type = (message as { type: string }).type;
    const shard = sharded[type];
    if (shard) {
      const rows = (message as Record<string, unknown>)[shard.rows] as unknown[];
      const ranges = shardRanges(rows.length, replicas.length);
      if (ranges.length <= 1) return replicas[0]!.ask(message, options);
      const replies = await Promise.all(
        ranges.map((range, i) => replicas[i]!.ask({ ...message, shard: range }, options)),
      );
      return mergeShardReplies(shard.results, replies as unknown as ShardReply<string, unknown>[]);
    }
    if (everyone.includes(type)) {
      const replies = (await Promise.all(replicas.map((r) => r.ask(message, options)))) as unknown[];
      const first = replies[0] as Record<string, unknown>;
      if (typeof first?.computeMs !== 'number') return first;
      const computeMs = Math.max(...replies.map((r) => (r as { computeMs: number }).computeMs));
      return { ...first, computeMs };
    }
    return replicas[0]!.ask(message, options);
  };
  const tell = async (message: AnyMessage<S>): Promise<void> => {
    const type = (message as { type: string }).type;
    if (everyone.includes(type)) await Promise.all(replicas.map((r) => r.tell(message)));
    else await replicas[0]!.tell(message);
  };
  return { name, ask, tell } as ActorRef<S>;
}
