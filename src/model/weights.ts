// Weights as messages: plain objects of Float32Arrays with a version number, for actors in other threads or
// processes (msgpackr with `moreTypes: true` carries Float32Array as is).
import type { Transformer } from './transformer.ts';
import { AzrError } from '../errors.ts';

export interface WeightsMessage {
  version: number;
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
}

export function exportWeights(model: Transformer, version: number): WeightsMessage {
  const tensors: WeightsMessage['tensors'] = {};
  for (const [name, v] of model.params)
    tensors[name] = { shape: [...v.shape], data: v.dataSync() as Float32Array };
  return { version, tensors };
}

/** Loads a payload into `model`; every parameter must be present with its exact shape. Returns the version. */
export function importWeights(model: Transformer, payload: WeightsMessage): number {
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of model.params) {
    const t = payload.tensors[name];
    if (!t) throw new AzrError('MODEL_INVALID', `weights message v${payload.version} lacks ${name}`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new AzrError(
        'MODEL_INVALID',
        `weights message: ${name} has shape [${t.shape}], model expects [${v.shape}]`,
      );
    }
    // A message decoded from bytes may carry a plain array or a view with another element type.
    weights.set(
      name,
      t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>),
    );
  }
  model.setWeights(weights);
  return payload.version;
}
