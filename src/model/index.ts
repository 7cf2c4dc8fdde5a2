export {
  type BackendChoice,
  type BackendKind,
  type BackendName,
  formatChoice,
  type InitBackendOptions,
  initBackend,
} from './backend.ts';
export {
  type CheckpointableLearner,
  type LearnerCheckpointState,
  type LoadedCheckpoint,
  loadCheckpoint,
  type SaveCheckpointInput,
  saveCheckpoint,
} from './checkpoint.ts';
export { bytesToUnicode, HfTokenizer } from './hf-tokenizer.ts';
export {
  configFromHf,
  configToHf,
  type HfConfig,
  type LoadedHuggingFace,
  loadHuggingFace,
  saveHuggingFace,
} from './huggingface.ts';
export { Rng, type RngState } from './rng.ts';
export { decodeSafetensors, encodeSafetensors, type FloatDtype, type NamedTensor } from './safetensors.ts';
export {
  chooseToken,
  type FinishReason,
  type LogitsMask,
  type SampleOptions,
  type SampleResult,
  sample,
} from './sampling.ts';
export { ByteTokenizer, CharTokenizer, type Tokenizer } from './tokenizer.ts';
export {
  disposeCache,
  type KVCache,
  type Llama3RopeScaling,
  type ResolvedTransformerConfig,
  resolveConfig,
  Transformer,
  type TransformerConfig,
} from './transformer.ts';
export { exportWeights, importWeights, type WeightsMessage } from './weights.ts';

import { Transformer, type TransformerConfig } from './transformer.ts';

/** A randomly initialised model (same as `new Transformer(config, seed)`). */
export function createModel(config: TransformerConfig, seed = 0): Transformer {
  return new Transformer(config, seed);
}
