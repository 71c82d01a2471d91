import * as tf from '@tensorflow/tfjs';
import { dense, type Activation } from './dense';

/**
 * Convolutions written as patch extraction (pad, reshape, transpose, slice, concat) followed by the custom-gradient
 * dense layer. The wasm backend has no Conv2DBackpropFilter kernel, so tf.conv2d cannot be trained there; these
 * ops need only kernels every backend has, and their weight gradients reach the untransposed XNNPACK matMul.
 * Tensors are NHWC. A weight is a matrix [kernelRows·kernelCols·inChannels, outChannels] over the patch layout
 * built below; the layout is fixed, so checkpoints stay portable.
 */

/** NHWC [N, H, W, C] → [N, H/2, W/2, 4C]; output channel (r·2 + s)·C + c holds input pixel (2i + r, 2j + s, c). */
export function spaceToDepth2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  // Rank 4 throughout: [N·H/2, 2, W/2, 2C] → swap the middle axes → [N·H/2, W/2, 2, 2C].
  const rows = tf.reshape(x, [n * (h / 2), 2, w / 2, 2 * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h / 2, w / 2, 4 * c]);
}

/**
 * 4×4 convolution, stride 2, padding 1 (the DCGAN encoder layer): H×W → H/2×W/2. With the padded input folded by
 * spaceToDepth2, each output pixel sees a 2×2 block of folded pixels, so the patch is four shifted slices.
 */
export function conv4x4Stride2(
  x: tf.Tensor4D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  options: { activation: Activation; inputNeedsGrad: boolean },
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`conv4x4Stride2: input ${h}×${w} must have even height and width`);
  const folded = spaceToDepth2(
    tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]),
  );
  const ho = h / 2;
  const wo = w / 2;
  const shifts: tf.Tensor4D[] = [];
  for (const p of [0, 1]) for (const q of [0, 1]) shifts.push(tf.slice(folded, [0, p, q, 0], [n, ho, wo, 4 * c]));
  const patches = tf.reshape(tf.concat(shifts, 3), [n * ho * wo, 16 * c]) as tf.Tensor2D;
  const y = dense(patches, W, b, options);
  return tf.reshape(y, [n, ho, wo, W.shape[1]]);
}

/** 3×3 convolution, stride 1, padding 1: nine shifted slices of the padded input form the patch. */
export function conv3x3(
  x: tf.Tensor4D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  options: { activation: Activation },
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const shifts: tf.Tensor4D[] = [];
  for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) shifts.push(tf.slice(padded, [0, p, q, 0], [n, h, w, c]));
  const patches = tf.reshape(tf.concat(shifts, 3), [n * h * w, 9 * c]) as tf.Tensor2D;
  const y = dense(patches, W, b, { activation: options.activation });
  return tf.reshape(y, [n, h, w, W.shape[1]]);
}

/**
 * Nearest-neighbour ×2 upsampling; with resize + conv it replaces a transposed conv without its checkerboard
 * artefacts (Odena et al. 2016). Built from concat and reshape, whose gradients (slices) agree on every backend:
 * TF.js 4.22's cpu ResizeNearestNeighborGrad differs from wasm's and webgpu's by up to 1.6e-2 on an 4×4 → 8×8 case.
 * The output is identical to tf.image.resizeNearestNeighbor (out[i, j] = in[⌊i/2⌋, ⌊j/2⌋]).
 */
export function upsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const columns = tf.reshape(x, [n * h, w, 1, c]);
  const wide = tf.reshape(tf.concat([columns, columns], 2), [n * h, 1, 2 * w, c]);
  return tf.reshape(tf.concat([wide, wide], 1), [n, 2 * h, 2 * w, c]);
}
