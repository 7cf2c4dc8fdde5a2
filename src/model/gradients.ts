// Gradient definitions for the kernels the transformer and the learner differentiate through.
// `@tensorflow/tfjs-core`'s Node entry registers no gradients, and its per-file ESM build (register_all_gradients.js)
// cannot load under Node's ESM resolver (extensionless imports); the union package `@tensorflow/tfjs` that normally
// registers them is not a dependency. Each one is registered only when no gradient exists yet for that kernel, so
// loading tfjs-node (which brings the full set) later changes nothing.
import * as tf from '@tensorflow/tfjs-core';

type Grads = Record<string, () => tf.Tensor>;
type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Record<string, unknown>) => Grads;

/** Sums `dy` over broadcast axes so it matches `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  return axes.length > 0 ? tf.reshape(tf.sum(dy, axes), shape) : dy;
}

function reduceGrad(dy: tf.Tensor, x: tf.Tensor, axis: unknown, divide: boolean): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const grad = tf.mul(tf.reshape(dy, expanded), tf.ones(x.shape));
  return divide
    ? tf.div(
        grad,
        axes.reduce((n, a) => n * x.shape[a], 1),
      )
    : grad;
}

const binary = (da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor, db: typeof da): GradFunc => {
  return (dy, [a, b]) => ({
    a: () => unbroadcast(da(dy as tf.Tensor, a, b), a.shape),
    b: () => unbroadcast(db(dy as tf.Tensor, a, b), b.shape),
  });
};

const unary = (dx: (dy: tf.Tensor, saved: tf.Tensor) => tf.Tensor): GradFunc => {
  return (dy, [saved]) => ({ x: () => dx(dy as tf.Tensor, saved) });
};

const configs: Array<{ kernel: string; save?: 'inputs' | 'output' | 'allInputs'; grad: GradFunc }> = [
  {
    kernel: 'Add',
    save: 'inputs',
    grad: binary(
      (dy) => dy,
      (dy) => dy,
    ),
  },
  {
    kernel: 'Sub',
    save: 'inputs',
    grad: binary(
      (dy) => dy,
      (dy) => tf.neg(dy),
    ),
  },
  {
    kernel: 'Multiply',
    save: 'inputs',
    grad: binary(
      (dy, _a, b) => tf.mul(dy, b),
      (dy, a) => tf.mul(dy, a),
    ),
  },
  {
    kernel: 'RealDiv',
    save: 'inputs',
    grad: binary(
      (dy, _a, b) => tf.div(dy, b),
      (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
    ),
  },
  {
    kernel: 'Minimum',
    save: 'inputs',
    grad: binary(
      (dy, a, b) => tf.mul(dy, tf.cast(tf.lessEqual(a, b), 'float32')),
      (dy, a, b) => tf.mul(dy, tf.cast(tf.greater(a, b), 'float32')),
    ),
  },
  {
    kernel: 'Maximum',
    save: 'inputs',
    grad: binary(
      (dy, a, b) => tf.mul(dy, tf.cast(tf.greaterEqual(a, b), 'float32')),
      (dy, a, b) => tf.mul(dy, tf.cast(tf.less(a, b), 'float32')),
    ),
  },
  {
    kernel: 'AddN',
    save: 'allInputs',
    grad: (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => dy as tf.Tensor])),
  },
  { kernel: 'Neg', grad: unary((dy) => tf.neg(dy)) },
  { kernel: 'Cast', grad: unary((dy) => dy) },
  { kernel: 'Square', save: 'inputs', grad: unary((dy, x) => tf.mul(dy, tf.mul(x, 2))) },
  { kernel: 'Sqrt', save: 'inputs', grad: unary((dy, x) => tf.div(dy, tf.mul(tf.sqrt(x), 2))) },
  { kernel: 'Rsqrt', save: 'inputs', grad: unary((dy, x) => tf.mul(dy, tf.div(tf.rsqrt(x), tf.mul(x, -2)))) },
  { kernel: 'Log', save: 'inputs', grad: unary((dy, x) => tf.div(dy, x)) },
  { kernel: 'Exp', save: 'output', grad: unary((dy, y) => tf.mul(dy, y)) },
  { kernel: 'Sigmoid', save: 'output', grad: unary((dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))) },
  {
    kernel: 'Softmax',
    save: 'output',
    grad: (dy, [y], attrs) => ({
      logits: () => {
        const dyTimesY = tf.mul(dy as tf.Tensor, y);
        return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [attrs.dim as number], true), y));
      },
    }),
  },
  {
    kernel: 'Sum',
    save: 'inputs',
    grad: (dy, [x], attrs) => ({ x: () => reduceGrad(dy as tf.Tensor, x, attrs.axis, false) }),
  },
  {
    kernel: 'Mean',
    save: 'inputs',
    grad: (dy, [x], attrs) => ({ x: () => reduceGrad(dy as tf.Tensor, x, attrs.axis, true) }),
  },
  {
    kernel: 'Reshape',
    save: 'inputs',
    grad: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernel: 'Transpose',
    grad: (dy, _saved, attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernel: 'SplitV',
    grad: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernel: 'Concat',
    save: 'allInputs',
    grad: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const parts = tf.split(
        dy as tf.Tensor,
        saved.map((t) => t.shape[axis]),
        axis,
      );
      return Object.fromEntries(parts.map((part, i) => [String(i), () => part]));
    },
  },
  {
    kernel: 'Slice',
    save: 'inputs',
    grad: (dy, [x], attrs) => {
      const [begin, size] = tf.slice_util.parseSliceParams(
        x,
        attrs.begin as number[],
        attrs.size as number[],
      );
      const padding = x.shape.map((d, i) => [begin[i], d - begin[i] - size[i]] as [number, number]);
      return { x: () => tf.pad(dy as tf.Tensor, padding) };
    },
  },
  {
    kernel: 'ClipByValue',
    save: 'inputs',
    grad: (dy, [x], attrs) => ({
      x: () => {
        const inside = tf.logicalAnd(
          tf.greaterEqual(x, attrs.clipValueMin as number),
          tf.lessEqual(x, attrs.clipValueMax as number),
        );
        return tf.mul(dy as tf.Tensor, tf.cast(inside, 'float32'));
      },
    }),
  },
];

const inputNames: Record<string, string[]> = {
  Add: ['a', 'b'],
  Sub: ['a', 'b'],
  Multiply: ['a', 'b'],
  RealDiv: ['a', 'b'],
  Minimum: ['a', 'b'],
  Maximum: ['a', 'b'],
};

for (const { kernel, save, grad } of configs) {
  if (tf.getGradient(kernel)) continue;
  tf.registerGradient({
    kernelName: kernel,
    inputsToSave: save === 'inputs' ? (inputNames[kernel] ?? ['x']) : undefined,
    saveAllInputs: save === 'allInputs' ? true : undefined,
    outputsToSave: save === 'output' ? [true] : undefined,
    gradFunc: grad as unknown as tf.GradFunc,
  });
}
