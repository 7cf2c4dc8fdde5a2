// Small pieces for the actors that tests and benchmarks define (tests/fixtures, bench/fixtures).
import type { HandlerContext } from '../../src/runtime/index.ts';

/** A handler that answers the ask with `value(state, message)` and keeps the state as it is. */
export function answer<State, Message, Reply>(value: (state: State, message: Message) => Reply) {
  return (state: State, message: Message, ctx: HandlerContext<Reply>): State => {
    ctx.reply(value(state, message));
    return state;
  };
}
