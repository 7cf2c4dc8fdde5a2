// The built-in actor kinds that topologies may name.
import type { ActorDefinition } from '../src/runtime/index.ts';
import { buffer } from './buffer.ts';
import { coordinator } from './coordinator.ts';
import { learner } from './learner.ts';
import { metrics } from './metrics.ts';
import { proposer } from './proposer.ts';
import { solver } from './solver.ts';
import { validator } from './validator.ts';

export const builtinActors: ActorDefinition[] = [
  coordinator,
  proposer,
  solver,
  validator,
  learner,
  buffer,
  metrics,
];
export { buffer, coordinator, learner, metrics, proposer, solver, validator };
