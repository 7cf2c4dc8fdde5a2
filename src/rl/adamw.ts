// AdamW (Loshchilov & Hutter): Adam on the gradient, weight decay applied directly to the weights (decoupled).
// Decay applies to matrices only (rank ≥ 2); norm weights and biases are not decayed.
import * as tf from '@tensorflow/tfjs-core';
import { AzrError } from '../errors.ts';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const defaultAdamW: AdamWOptions = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
};

export class AdamW {
  step = 0;
  readonly options: AdamWOptions;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    options: Partial<AdamWOptions> = {},
  ) {
    this.options = { ...defaultAdamW, ...options };
    for (const [name, p] of params) {
      this.moments.set(name, {
        m: tf.variable(tf.zerosLike(p), false),
        v: tf.variable(tf.zerosLike(p), false),
      });
    }
  }

  /**
   * One update; `gradScale` multiplies every gradient first (gradient-norm clipping), `lrFactor` the learning rate
   * (a schedule's).
   */
  apply(grads: Map<string, tf.Tensor>, gradScale = 1, lrFactor = 1): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.options;
    const lr = this.options.lr * lrFactor;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const [name, p] of this.params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const { m, v } = this.moments.get(name)!;
      tf.tidy(() => {
        const g = gradScale === 1 ? grad : tf.mul(grad, gradScale);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), eps));
        const decayed = p.rank >= 2 && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
  }

  /** Moments as `${param}.m` / `${param}.v` → values, for checkpoints. */
  exportState(): { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, { m, v }] of this.moments) {
      tensors.set(`${name}.m`, { shape: m.shape, data: m.dataSync() as Float32Array });
      tensors.set(`${name}.v`, { shape: v.shape, data: v.dataSync() as Float32Array });
    }
    return { step: this.step, tensors };
  }

  importState(state: { step: number; tensors: Map<string, { data: Float32Array }> }): void {
    this.step = state.step;
    for (const [name, { m, v }] of this.moments) {
      for (const [key, variable] of [
        [`${name}.m`, m],
        [`${name}.v`, v],
      ] as const) {
        const saved = state.tensors.get(key);
        if (!saved) throw new AzrError('CHECKPOINT_INVALID', `optimizer state lacks ${key}`);
        tf.tidy(() => variable.assign(tf.tensor(saved.data, variable.shape, 'float32')));
      }
    }
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
