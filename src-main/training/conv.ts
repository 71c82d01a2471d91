import * as tf from '@tensorflow/tfjs';
import { columnSums, dense, productsOnBlas, type Activation } from './dense';

/**
 * Convolutions for the conv VAE. Tensors are NHWC. A weight is a matrix [kernelRows·kernelCols·inChannels,
 * outChannels] over the patch layout documented per layer; the layout is fixed, so checkpoints stay portable.
 *
 * Every layer is a stride-1 'valid' convolution over an input padded (and, for stride 2, folded) beforehand, with a
 * hand-written gradient made of Conv2D kernels only: the wasm backend runs Conv2D in XNNPACK but has no
 * Conv2DBackpropFilter, and its Conv2DBackpropInput is a scalar loop. For y = x ⋆ F (cross-correlation):
 *   dx = pad(dy, k − 1) ⋆ F rotated 180° with in/out channels swapped (the "full" convolution),
 *   dF = a convolution of x and dy with the batch as the channel axis: transpose(x)[C, H, W, N] ⋆ transpose(dy)[Ho, Wo, N, O].
 * Building patches from pads, slices and concats instead (the reference versions below) took 2.7 s per batch of 128
 * on this machine, most of it in the gradients of concat and slice.
 */

interface ConvOptions {
  activation: Activation;
  /** False when x is data: its gradient (a full convolution) is then skipped. */
  inputNeedsGrad: boolean;
}

type Padding = [[number, number], [number, number], [number, number], [number, number]];

function padding(p: number): Padding {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

/** x [N, H, W, C] → [C, H, W, N] through a rank-3 transpose (the wasm backend's rank-4 transpose is slower). */
function batchToChannels(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, h * w, c]), [2, 1, 0]), [c, h, w, n]);
}

/** y = act(x ⋆ F + b), stride 1, zero padding p on each side; F is [k, k, C, O]. */
function convStride1(x: tf.Tensor4D, F: tf.Tensor4D, b: tf.Tensor1D, p: number, options: ConvOptions): tf.Tensor4D {
  const k = F.shape[0];
  const forward = (xi: tf.Tensor4D, Fi: tf.Tensor4D, bi: tf.Tensor1D): tf.Tensor4D =>
    tf.fused.conv2d({ x: xi, filter: Fi, strides: 1, pad: padding(p), bias: bi, activation: options.activation });
  // dF[a, b, c, o] = Σ_{n,i,j} x_pad[n, i + a, j + b, c] · g[n, i, j, o]: a convolution over the batch as channels,
  // or on the blas backend its own kernel, one product of x's patches with g.
  const filterGrad = (xs: tf.Tensor4D, g: tf.Tensor4D): tf.Tensor4D =>
    productsOnBlas()
      ? (tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xs, dy: g }, {
          strides: 1,
          pad: padding(p),
          dataFormat: 'NHWC',
          filterShape: F.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D)
      : tf.transpose(
          tf.conv2d(batchToChannels(xs), tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D, 1, padding(p)),
          [1, 2, 0, 3],
        );
  const biasGrad = (g: tf.Tensor4D): tf.Tensor1D =>
    productsOnBlas() ? columnSums(tf.reshape(g, [-1, g.shape[3]])) : tf.sum(g, [0, 1, 2]);
  const preActivation = (dy: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D =>
    options.activation === 'relu' ? tf.mul(dy, tf.step(y)) : dy;
  if (!options.inputNeedsGrad) {
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [Fi, bi, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
      const y = forward(x, Fi, bi);
      save([y, x]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
          const [ys, xs] = saved as [tf.Tensor4D, tf.Tensor4D];
          const g = preActivation(dy, ys);
          return [filterGrad(xs, g), biasGrad(g)];
        },
      };
    });
    return op(F, b) as tf.Tensor4D;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, Fi, bi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    const y = forward(xi, Fi, bi);
    save([xi, Fi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, Fs, ys] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const g = preActivation(dy, ys);
        const rotated = tf.transpose(tf.reverse(Fs, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        return [tf.conv2d(g, rotated, 1, padding(k - 1 - p)), filterGrad(xs, g), biasGrad(g)];
      },
    };
  });
  return op(x, F, b) as tf.Tensor4D;
}

function pad1(x: tf.Tensor4D): tf.Tensor4D {
  return tf.pad(x, padding(1));
}

/** NHWC [N, H, W, C] → [N, H/2, W/2, 4C]; output channel (r·2 + s)·C + c holds input pixel (2i + r, 2j + s, c). */
export function spaceToDepth2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  // Rank 4 throughout: [N·H/2, 2, W/2, 2C] → swap the middle axes → [N·H/2, W/2, 2, 2C].
  const rows = tf.reshape(x, [n * (h / 2), 2, w / 2, 2 * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, h / 2, w / 2, 4 * c]);
}

function checkEven(x: tf.Tensor4D, name: string): void {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`${name}: input ${h}×${w} must have even height and width`);
}

/**
 * 4×4 convolution, stride 2, padding 1 (the DCGAN encoder layer): H×W → H/2×W/2. Folding the padded input with
 * spaceToDepth2 turns it into a 2×2 stride-1 convolution over 4C channels; weight row ((p·2 + q)·4 + (r·2 + s))·C + c
 * holds kernel tap (2p + r, 2q + s, c), which is the 2×2 filter [p, q, (r·2 + s)·C + c] reshaped.
 */
export function conv4x4Stride2(
  x: tf.Tensor4D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  options: { activation: Activation; inputNeedsGrad: boolean },
): tf.Tensor4D {
  checkEven(x, 'conv4x4Stride2');
  const folded = spaceToDepth2(pad1(x));
  const filter = tf.reshape(W, [2, 2, 4 * x.shape[3], W.shape[1]]) as tf.Tensor4D;
  return convStride1(folded, filter, b, 0, options);
}

/** 3×3 convolution, stride 1, padding 1; weight row (p·3 + q)·C + c holds kernel tap (p, q, c). */
export function conv3x3(
  x: tf.Tensor4D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  options: { activation: Activation },
): tf.Tensor4D {
  const filter = tf.reshape(W, [3, 3, x.shape[3], W.shape[1]]) as tf.Tensor4D;
  return convStride1(x, filter, b, 1, { activation: options.activation, inputNeedsGrad: true });
}

/** Inverse of spaceToDepth2: [N, H, W, 4C] → [N, 2H, 2W, C]; input channel (r·2 + s)·C + c goes to pixel (2i + r, 2j + s). */
export function depthToSpace2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c4] = x.shape;
  const rows = tf.reshape(x, [n * h, w, 2, c4 / 2]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, 2 * h, 2 * w, c4 / 4]);
}

/**
 * Which 3×3 taps p of a convolution over the ×2 upsampled map read low-resolution row offset u − 1, for output rows
 * of parity r: row (r·3 + u, p) is 1 when upsampled row 2i + r + p − 1 lies in low-resolution row i + u − 1.
 * Each parity reads two neighbouring offsets only: u ∈ {r, r + 1}.
 */
const PHASE_TAPS = [
  [1, 0, 0],
  [0, 1, 1],
  [0, 0, 0],
  [0, 0, 0],
  [1, 1, 0],
  [0, 0, 1],
];

/**
 * [p·3 + q, (a·2 + b)·4 + r′·2 + s′] = PHASE_TAPS[r·3 + r + a][p] · PHASE_TAPS[s·3 + s + b][q] with r = 1 − r′,
 * s = 1 − s′: the 3×3 taps summed into the 2×2 taps of phase (r′, s′) (see upsample2Conv3x3).
 */
function phaseTaps(): number[][] {
  const taps: number[][] = [];
  for (let p = 0; p < 3; p++)
    for (let q = 0; q < 3; q++) {
      const row: number[] = [];
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++)
          for (let r = 1; r >= 0; r--)
            for (let s = 1; s >= 0; s--) row.push(PHASE_TAPS[r * 3 + r + a][p] * PHASE_TAPS[s * 3 + s + b][q]);
      taps.push(row);
    }
  return taps;
}

/**
 * conv3x3(upsample2(x)) without forming the upsampled map. Upsampled rows 2t − 1 and 2t both read low-resolution rows
 * t − 1 and t (likewise for columns), so one 2×2 convolution of x padded by 1, with 4·O outputs (W's taps summed per
 * phase), computes every output pixel: [N, H + 1, W + 1, 4·O], unfolded by depthToSpace2 to rows and columns −1 … 2H
 * and cropped by one on each side. Against the upsampled 3×3 convolution: a quarter of the input, (1 + 1/H)² · 4/9 of
 * the multiply-adds, and no resize or resize gradient. W keeps conv3x3's layout.
 */
export function upsample2Conv3x3(
  x: tf.Tensor4D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  options: { activation: Activation },
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const o = W.shape[1];
  if (W.shape[0] !== 9 * c) {
    throw new Error(`upsample2Conv3x3: W is ${W.shape[0]}×${o} but the input has ${c} channels (needs ${9 * c} rows)`);
  }
  // The constant is the right operand: the wasm backend caches XNNPACK's packed right operand by tensor id, and
  // W's id (shared by its reshapes) must never reach that cache with a second shape.
  const taps = tf.tensor2d(phaseTaps(), [9, 16]);
  // [(c, o), (a, b, r′, s′)] → [a, b, c, (r′, s′, o)]: the 2×2 filter with 4·O output channels.
  const phases = tf.reshape(tf.matMul(tf.transpose(tf.reshape(W, [9, c * o])), taps), [c, o, 4, 4]);
  const filter = tf.reshape(tf.transpose(phases, [2, 0, 3, 1]), [2, 2, c, 4 * o]) as tf.Tensor4D;
  const y = convStride1(x, filter, tf.tile(b, [4]), 1, { activation: options.activation, inputNeedsGrad: true });
  return tf.slice(depthToSpace2(y), [0, 1, 1, 0], [n, 2 * h, 2 * w, o]);
}

/** conv4x4Stride2 built from patches (four shifted slices of the folded input) and the dense layer: the reference the tests compare against. */
export function conv4x4Stride2Reference(
  x: tf.Tensor4D,
  W: tf.Tensor2D,
  b: tf.Tensor1D,
  activation: Activation,
): tf.Tensor4D {
  checkEven(x, 'conv4x4Stride2Reference');
  const [n, h, w, c] = x.shape;
  const folded = spaceToDepth2(pad1(x));
  const ho = h / 2;
  const wo = w / 2;
  const shifts: tf.Tensor4D[] = [];
  for (const p of [0, 1]) for (const q of [0, 1]) shifts.push(tf.slice(folded, [0, p, q, 0], [n, ho, wo, 4 * c]));
  const patches = tf.reshape(tf.concat(shifts, 3), [n * ho * wo, 16 * c]) as tf.Tensor2D;
  return tf.reshape(dense(patches, W, b, { activation }), [n, ho, wo, W.shape[1]]);
}

/** conv3x3 built from patches (nine shifted slices of the padded input) and the dense layer: the tests' reference. */
export function conv3x3Reference(x: tf.Tensor4D, W: tf.Tensor2D, b: tf.Tensor1D, activation: Activation): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const padded = pad1(x);
  const shifts: tf.Tensor4D[] = [];
  for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) shifts.push(tf.slice(padded, [0, p, q, 0], [n, h, w, c]));
  const patches = tf.reshape(tf.concat(shifts, 3), [n * h * w, 9 * c]) as tf.Tensor2D;
  return tf.reshape(dense(patches, W, b, { activation }), [n, h, w, W.shape[1]]);
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
