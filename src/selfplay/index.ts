// The arithmetic of AZR's self-play step (docs/azr.md §2–§4) as pure, synchronous functions, and the names of its
// metrics. The coordinator actor asks the other actors and hands their replies here; `src/report` reads the names.
export { type ModeStep, modeFigures } from './figures.ts';
export { baselineAnswers, heldoutTasks } from './heldout.ts';
export {
  averagedKey,
  averagedMode,
  faultMetrics,
  groupKey,
  groupMember,
  heldoutMetrics,
  inGroup,
  learnerMetrics,
  METRIC_GROUPS,
  MODE_METRICS,
  type MetricGroup,
  type ModeFigures,
  type ModeMetric,
  modeKey,
  modeMetrics,
  parseRewardTerm,
  rewardTermKey,
  timeMetrics,
  WALL_TIME,
} from './metrics.ts';
export {
  countsPerSource,
  distinctIndices,
  drawDistinct,
  drawTasks,
  interleave,
  type Random,
  referenceSources,
  splitBy,
} from './draw.ts';
export {
  chunk,
  completedProposals,
  parsedProposals,
  ProposedTasks,
  type ToValidate,
  validTasks,
} from './propose.ts';
export { dedupKey, referenceBuffers, SeedSet, seedCopies, seedingOrder } from './seed.ts';
export {
  meanTerms,
  proposerRollouts,
  rewardRollouts,
  type SampledCompletion,
  type SupervisedPair,
  solverRollouts,
  supervisedPairs,
  trainingSamples,
} from './reward.ts';
export {
  type AnswerChecks,
  answerChecks,
  backfillCount,
  fractionCorrect,
  type JudgedAnswer,
  judgeAnswers,
  type MalformedAnswers,
  mean,
  type SolverAnswer,
  solveRates,
  solverBatch,
} from './solve.ts';
export {
  LearningPipeline,
  type PipelineCalls,
  type PipelineIdle,
  type PipelineSnapshot,
  type VersionedUpdate,
} from './pipeline.ts';
