// Message schemas shared by several actors: the wire types, written once in src/wire.
export {
  AnswerCheckSchema,
  AnswerVerdictSchema,
  FaultsSchema,
  ProposalSchema,
  ProposalVerdictSchema,
  RolloutSampleSchema,
  StringEnum,
  SupervisedSampleSchema,
  TaskSchema,
} from '../src/wire/index.ts';
