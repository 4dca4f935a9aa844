// TF.js's core with the chained tensor methods (`t.add(u)`, `t.as3D(h, w, c)`, `t.toFloat()`), which
// face-api's code calls. tfjs-core registers them only through an ES-module side-effect import that
// the CommonJS build Node loads leaves out; the `@tensorflow/tfjs` union package registers them in
// its own bundle, but loading it also loads tfjs-layers, tfjs-converter, tfjs-data and the CPU and
// WebGL backends (20 MB of RSS, measured) that face-api's nets never use. So runtime.ts gives face-api
// this instead. The method list and their argument order are tfjs-core 4.22's
// dist/public/chained_ops/*.js: 112 methods are `op(this, ...args)`, the rest are below.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Chained methods that call the op of the same name with the tensor first. */
const SAME_NAME_OPS = [
  'abs', 'acos', 'acosh', 'add', 'all', 'any', 'argMax', 'argMin', 'asin', 'asinh', 'atan',
  'atan2', 'atanh', 'batchToSpaceND', 'batchNorm', 'broadcastTo', 'cast', 'ceil', 'clipByValue',
  'conv1d', 'conv2d', 'cos', 'cosh', 'cumprod', 'cumsum', 'depthToSpace', 'div', 'divNoNan', 'dot',
  'elu', 'equal', 'erf', 'euclideanNorm', 'exp', 'expandDims', 'expm1', 'fft', 'floor', 'floorDiv',
  'gather', 'greater', 'greaterEqual', 'ifft', 'irfft', 'isFinite', 'isInf', 'isNaN', 'leakyRelu',
  'less', 'lessEqual', 'log', 'log1p', 'logSigmoid', 'logSoftmax', 'logSumExp', 'logicalAnd',
  'logicalNot', 'logicalOr', 'logicalXor', 'matMul', 'max', 'maximum', 'mean', 'min', 'minimum',
  'mirrorPad', 'mod', 'mul', 'neg', 'norm', 'notEqual', 'onesLike', 'pad', 'pool', 'pow', 'prelu',
  'prod', 'reciprocal', 'relu', 'relu6', 'reshape', 'reverse', 'rfft', 'round', 'rsqrt', 'selu',
  'sigmoid', 'sign', 'sin', 'sinh', 'slice', 'softmax', 'softplus', 'spaceToBatchND', 'split',
  'sqrt', 'square', 'squaredDifference', 'squeeze', 'step', 'stridedSlice', 'sub', 'sum', 'tan',
  'tanh', 'tile', 'topk', 'transpose', 'unique', 'unstack', 'zerosLike', 'oneHot',
] as const;

type Op = (...args: unknown[]) => unknown;

interface TensorLike {
  size: number;
  shape: number[];
  throwIfDisposed(): void;
}

interface TfCoreModule {
  /** The process's one Tensor class (tfjs-core keeps it in a global, so every copy shares it). */
  Tensor: { prototype: Record<string, unknown>; [Symbol.hasInstance](value: unknown): boolean };
  reshape: Op;
  cast: Op;
  concat: Op;
  stack: Op;
  where: Op;
}

/**
 * `@tensorflow/tfjs-core`, with its chained tensor methods registered on its Tensor class. The class
 * is one per process, so a second call (or the union package loaded first) finds them there already.
 */
export function tfCoreWithChainedOps(): unknown {
  const tf = require('@tensorflow/tfjs-core') as TfCoreModule & Record<string, unknown>;
  const proto = tf.Tensor.prototype;
  const define = (name: string, method: (this: TensorLike, ...args: unknown[]) => unknown): void => {
    // The union package, if something else loaded it, has registered the same methods already.
    if (typeof proto[name] === 'function') return;
    proto[name] = function chained(this: TensorLike, ...args: unknown[]): unknown {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  };
  for (const name of SAME_NAME_OPS) {
    const op = tf[name];
    if (typeof op !== 'function') throw new Error(`tfjs-core has no op ${name} for its chained method`);
    define(name, function (this: TensorLike, ...args: unknown[]) {
      return (op as Op)(this, ...args);
    });
  }
  const reshapeTo = (shape: (t: TensorLike, args: unknown[]) => unknown[]) =>
    function (this: TensorLike, ...args: unknown[]): unknown {
      return tf.reshape(this, shape(this, args));
    };
  define('as1D', reshapeTo((t) => [t.size]));
  define('flatten', reshapeTo((t) => [t.size]));
  for (const [name, rank] of [['as2D', 2], ['as3D', 3], ['as4D', 4], ['as5D', 5]] as const) define(name, reshapeTo((_, args) => args.slice(0, rank)));
  define('asScalar', function (this: TensorLike) {
    if (this.size !== 1) throw new Error('The array must have only 1 element.');
    return tf.reshape(this, []);
  });
  define('reshapeAs', function (this: TensorLike, x: unknown) {
    return tf.reshape(this, (x as TensorLike).shape);
  });
  define('asType', function (this: TensorLike, dtype: unknown) {
    return tf.cast(this, dtype);
  });
  for (const [name, dtype] of [['toBool', 'bool'], ['toFloat', 'float32'], ['toInt', 'int32']] as const) define(name, function (this: TensorLike) {
    return tf.cast(this, dtype);
  });
  define('concat', function (this: TensorLike, x: unknown, axis: unknown) {
    return tf.concat([this, ...(x instanceof tf.Tensor ? [x] : (x as unknown[]))], axis);
  });
  define('stack', function (this: TensorLike, x: unknown, axis: unknown) {
    return tf.stack(x instanceof tf.Tensor ? [this, x] : [this, ...(x as unknown[])], axis);
  });
  define('where', function (this: TensorLike, condition: unknown, x: unknown) {
    return tf.where(condition, this, x);
  });
  return tf;
}
