// The tiny face detector's and the recognition net's forward passes, layer for layer as face-api
// has them, but freeing each layer's activations as soon as the next layer has read them.
//
// Why: face-api runs each whole network inside one tf.tidy, so every intermediate tensor of the
// pass stays allocated until the pass ends. On the wasm backend those tensors live in the module's
// WebAssembly memory, which grows to the peak and never shrinks: the detector's activations at
// 320x320 alone grew it by 54 MB on the first frame, and that stayed in the kiosk's RSS for good.
// Here the peak is about two layers. (Most of what the ResNet's first pass adds is not activations
// but XNNPACK's packed copy of its weights, which no forward pass can avoid.) The detector's conv, bias and
// leaky ReLU also run as one fused kernel (leaky(x) = relu(x - 0.1x) + 0.1x in face-api is
// leakyrelu with alpha 0.1), which is faster too. The results equal face-api's own: see
// tests/biometric/lean-forward.test.ts.
import type { FaceApi, FaceNets } from './runtime.js';

type Tf = FaceApi['tf'];
type Tensor4D = ReturnType<Tf['tensor4d']>;
type Tensor2D = ReturnType<Tf['tensor2d']>;
type Tensor1D = ReturnType<Tf['tensor1d']>;

interface ConvParams {
  filters: Tensor4D;
  bias: Tensor1D;
}
interface SeparableConvParams {
  depthwise_filter: Tensor4D;
  pointwise_filter: Tensor4D;
  bias: Tensor1D;
}
interface MobilenetParams {
  conv0: ConvParams;
  conv1: SeparableConvParams;
  conv2: SeparableConvParams;
  conv3: SeparableConvParams;
  conv4: SeparableConvParams;
  conv5: SeparableConvParams;
  conv6?: SeparableConvParams;
  conv7?: SeparableConvParams;
  conv8: ConvParams;
}
interface ConvLayerParams {
  conv: ConvParams;
  scale: { weights: Tensor1D; biases: Tensor1D };
}
interface ResidualParams {
  conv1: ConvLayerParams;
  conv2: ConvLayerParams;
}
type ResNetParams = Record<'conv32_down' | 'conv32_1' | 'conv32_2' | 'conv32_3' | 'conv64_down' | 'conv64_1' | 'conv64_2' | 'conv64_3' | 'conv128_down' | 'conv128_1' | 'conv128_2' | 'conv256_down' | 'conv256_1' | 'conv256_2' | 'conv256_down_out', ResidualParams | ConvLayerParams> & {
  fc: Tensor2D;
};

/** face-api's NetInput, as far as these passes use it. */
interface NetInput {
  toBatchTensor(inputSize: number, isCenterInputs?: boolean): Tensor4D;
}

/** The fused kernel face-api's bundled typings leave out. */
interface FusedConv {
  fused: {
    conv2d(args: { x: Tensor4D; filter: Tensor4D; strides: number; pad: 'valid' | 'same'; bias?: Tensor1D; activation?: 'leakyrelu' | 'linear'; leakyreluAlpha?: number }): Tensor4D;
  };
}

/** The parts of a face-api net these passes replace: its loaded params and its forward method. */
interface Patchable<P, In extends unknown[], Out> {
  readonly params: P | undefined;
  forwardInput: (...args: In) => Out;
}

/** face-api's leaky ReLU slope (0.1 as a float32). */
const LEAKY_ALPHA = 0.10000000149011612;
const TINY_MEAN_RGB = [117.001, 114.697, 97.404];
const RESNET_MEAN_RGB = [122.782, 117.001, 104.298];

/** Runs `make` on `input` and frees `input`: one layer, with the previous layer's output let go. */
function layer(tf: Tf, input: Tensor4D, make: (x: Tensor4D) => Tensor4D): Tensor4D {
  const output = tf.tidy(() => make(input));
  input.dispose();
  return output;
}

function loaded<P>(params: P | undefined, name: string): P {
  if (params === undefined) throw new Error(`${name} - load model before inference`);
  return params;
}

/** Replaces the tiny detector's and the recognition net's forward passes on these instances. */
export function installLeanForwardPasses(faceapi: FaceApi, nets: Pick<FaceNets, 'tiny' | 'recognition'>): void {
  const tf = faceapi.tf;
  const tiny = nets.tiny as unknown as Patchable<MobilenetParams, [NetInput, number], Tensor4D>;
  tiny.forwardInput = (input, inputSize) => tinyForward(tf, loaded(tiny.params, 'TinyFaceDetector'), input, inputSize);
  const recognition = nets.recognition as unknown as Patchable<ResNetParams, [NetInput], Tensor2D>;
  recognition.forwardInput = (input) => resNetForward(tf, loaded(recognition.params, 'FaceRecognitionNet'), input);
}

function tinyForward(tf: Tf, params: MobilenetParams, input: NetInput, inputSize: number): Tensor4D {
  const { fused } = tf as unknown as FusedConv;
  const separable = (x: Tensor4D, p: SeparableConvParams): Tensor4D =>
    fused.conv2d({ x: tf.depthwiseConv2d(x, p.depthwise_filter, 1, 'same'), filter: p.pointwise_filter, strides: 1, pad: 'valid', bias: p.bias, activation: 'leakyrelu', leakyreluAlpha: LEAKY_ALPHA });
  let out = tf.tidy(() => tf.div<Tensor4D>(tf.sub(tf.cast(input.toBatchTensor(inputSize, false), 'float32'), tf.tensor1d(TINY_MEAN_RGB)), 255));
  const first = params.conv0;
  out = layer(tf, out, (x) => fused.conv2d({ x, filter: first.filters, strides: 1, pad: 'valid', bias: first.bias, activation: 'leakyrelu', leakyreluAlpha: LEAKY_ALPHA }));
  for (const p of [params.conv1, params.conv2, params.conv3, params.conv4, params.conv5]) {
    out = layer(tf, out, (x) => tf.maxPool(x, [2, 2], [2, 2], 'same'));
    out = layer(tf, out, (x) => separable(x, p));
  }
  out = layer(tf, out, (x) => tf.maxPool(x, [2, 2], [1, 1], 'same'));
  for (const p of [params.conv6, params.conv7]) if (p !== undefined) out = layer(tf, out, (x) => separable(x, p));
  const last = params.conv8;
  return layer(tf, out, (x) => fused.conv2d({ x, filter: last.filters, strides: 1, pad: 'valid', bias: last.bias }));
}

/** conv -> bias -> scale (-> relu), as face-api's faceRecognitionNet/convLayer.ts. */
function convLayer(tf: Tf, x: Tensor4D, p: ConvLayerParams, strides: 1 | 2, relu: boolean, padding: 'valid' | 'same' = 'same'): Tensor4D {
  let out = tf.add(tf.conv2d(x, p.conv.filters, strides, padding), p.conv.bias);
  out = tf.add(tf.mul(out, p.scale.weights), p.scale.biases);
  return (relu ? tf.relu(out) : out) as Tensor4D;
}

function residual(tf: Tf, x: Tensor4D, p: ResidualParams): Tensor4D {
  const out = convLayer(tf, convLayer(tf, x, p.conv1, 1, true), p.conv2, 1, false);
  return tf.relu<Tensor4D>(tf.add(out, x));
}

/** face-api's residualDown: a strided residual whose shortcut is average-pooled and zero-padded. */
function residualDown(tf: Tf, x: Tensor4D, p: ResidualParams): Tensor4D {
  let out = convLayer(tf, convLayer(tf, x, p.conv1, 2, true, 'valid'), p.conv2, 1, false);
  let pooled = tf.avgPool<Tensor4D>(x, 2, 2, 'valid');
  if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
    out = tf.concat([out, tf.zeros([out.shape[0], 1, out.shape[2], out.shape[3]])], 1);
    out = tf.concat([out, tf.zeros([out.shape[0], out.shape[1], 1, out.shape[3]])], 2);
  }
  if (pooled.shape[3] !== out.shape[3]) pooled = tf.concat([pooled, tf.zeros(pooled.shape)], 3);
  return tf.relu<Tensor4D>(tf.add(pooled, out));
}

function resNetForward(tf: Tf, params: ResNetParams, input: NetInput): Tensor2D {
  const block = (name: keyof ResNetParams): ResidualParams => params[name] as ResidualParams;
  let out = tf.tidy(() => tf.div<Tensor4D>(tf.sub(tf.cast(input.toBatchTensor(150, true), 'float32'), tf.tensor1d(RESNET_MEAN_RGB)), 255));
  out = layer(tf, out, (x) => convLayer(tf, x, params.conv32_down as ConvLayerParams, 2, true, 'valid'));
  out = layer(tf, out, (x) => tf.maxPool(x, 3, 2, 'valid'));
  const stages: Array<['down' | 'same', keyof ResNetParams]> = [
    ['same', 'conv32_1'], ['same', 'conv32_2'], ['same', 'conv32_3'],
    ['down', 'conv64_down'], ['same', 'conv64_1'], ['same', 'conv64_2'], ['same', 'conv64_3'],
    ['down', 'conv128_down'], ['same', 'conv128_1'], ['same', 'conv128_2'],
    ['down', 'conv256_down'], ['same', 'conv256_1'], ['same', 'conv256_2'], ['down', 'conv256_down_out'],
  ];
  for (const [kind, name] of stages) out = layer(tf, out, (x) => (kind === 'down' ? residualDown(tf, x, block(name)) : residual(tf, x, block(name))));
  const descriptor = tf.tidy(() => tf.matMul<Tensor2D>((tf as unknown as { mean(x: Tensor4D, axis: number[]): Tensor2D }).mean(out, [1, 2]), params.fc));
  out.dispose();
  return descriptor;
}
