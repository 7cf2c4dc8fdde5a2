export { AdamW, type AdamWOptions, defaultAdamW } from './adamw.ts';
export {
  type AdvantageItem,
  type AdvantageOptions,
  type GroupStats,
  trrAdvantages,
  type Whitening,
} from './advantages.ts';
export {
  defaultLearnerOptions,
  Learner,
  type LearnerOptions,
  type LearnerStats,
  type RolloutSample,
  type SupervisedSample,
} from './learner.ts';
export { type LrSchedule, lrFactor } from './schedule.ts';
export { boundStaleness, type StalenessReport, type Versioned } from './staleness.ts';
