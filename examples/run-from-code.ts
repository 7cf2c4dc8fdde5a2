// Self-play from code: what `azr run examples/tiny-zero.yaml --steps 3 --out runs/from-code` does, printing a
// line of its own per step. Run it from the repository root: node --import tsx examples/run-from-code.ts
import { run } from 'azr';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort()); // Ctrl-C: the current step ends, a checkpoint is saved

const summary = await run('examples/tiny-zero.yaml', {
  out: 'runs/from-code',
  steps: 3,
  signal: stop.signal,
  onEvent: (event) => {
    if (event.type === 'seeded') console.log(`seeded in ${event.rounds} round(s)`);
    if (event.type === 'step')
      console.log(`step ${event.step}: solve rate`, event.metrics['deduction.solveRate']);
    if (event.type === 'checkpoint') console.log(`checkpoint: ${event.dir}`);
  },
});
console.log(`${summary.interrupted ? 'interrupted' : 'done'} after step ${summary.steps}:`, summary.heldout);
