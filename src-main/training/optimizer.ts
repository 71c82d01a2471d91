import * as tf from '@tensorflow/tfjs';
import type { Param } from './model';
import type { NamedArray } from '../records';
import { wasmHeapBackends } from '../../src-shared/backends';

/**
 * Adam (Kingma & Ba 2015, Algorithm 1) over plain Float32Arrays. On the wasm backend each elementwise kernel over
 * the reference model's 835k weights costs about 1 ms, and TF.js's Adam runs a dozen of them per variable per
 * step; one JavaScript pass over the same arrays costs about 4 ms. The bias corrections come from the integer
 * step count in double precision, so a run resumed from a checkpoint continues with bit-identical updates.
 * The optimizer keeps the master copy of the weights: after it is created, change weights only through it.
 */

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

interface Slot {
  param: Param;
  weights: Float32Array;
  /** The previous step's weights, reused as the next step's output buffer on the wasm backend. */
  spare: Float32Array | null;
  m: Float32Array;
  v: Float32Array;
}

export const STEP_NAME = 'adam/step';

export class AdamError extends Error {
  override name = 'AdamError';
}

function checkLearningRate(learningRate: number): void {
  if (!(learningRate > 0)) throw new AdamError(`learning rate ${learningRate} must be > 0`);
}

export class Adam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Updates applied so far (t in the paper). */
  step = 0;
  private readonly slots: Slot[];

  /**
   * An optimizer whose master copy starts from the variables' current values. Reading them back is asynchronous:
   * synchronous reads throw on the webgpu backend in Node.
   */
  static async create(params: Param[], options: AdamOptions): Promise<Adam> {
    checkLearningRate(options.learningRate);
    const weights = await Promise.all(params.map(async (p) => (await p.variable.data()) as Float32Array));
    return new Adam(params, options, weights);
  }

  private constructor(params: Param[], options: AdamOptions, weights: Float32Array[]) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.slots = params.map((param, i) => {
      const w = weights[i].slice();
      return { param, weights: w, spare: null, m: new Float32Array(w.length), v: new Float32Array(w.length) };
    });
  }

  /**
   * One update. grads maps TF.js variable names (param.variable.name) to gradients, as tf.variableGrads returns;
   * the caller disposes them. All gradients are read back together: one wait for the device, not one per weight.
   */
  async apply(grads: tf.NamedTensorMap): Promise<void> {
    const read = await Promise.all(
      this.slots.map((slot) => {
        const grad = grads[slot.param.variable.name];
        if (grad === undefined) throw new AdamError(`no gradient for '${slot.param.name}'`);
        return grad.data() as Promise<Float32Array>;
      }),
    );
    this.step += 1;
    const t = this.step;
    const { beta1, beta2, epsilon } = this;
    // lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), rewritten as lrT·m/(√v + εT) (Kingma & Ba 2015,
    // section 2): the bias corrections fold into two scalars computed from the integer step in double precision.
    const root = Math.sqrt(1 - beta2 ** t);
    const lrT = (this.learningRate * root) / (1 - beta1 ** t);
    const epsT = epsilon * root;
    // The wasm backends copy an array into their heap when a tensor is made from it, so two buffers per weight can
    // alternate; other backends (cpu) may keep a reference to the array, so they get a fresh one each step.
    const reuse = wasmHeapBackends.includes(tf.getBackend());
    this.slots.forEach((slot, index) => {
      const g = read[index];
      const { weights, m, v } = slot;
      const next = reuse && slot.spare !== null ? slot.spare : new Float32Array(weights.length);
      for (let i = 0; i < g.length; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + (1 - beta1) * gi;
        const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        next[i] = weights[i] - (lrT * mi) / (Math.sqrt(vi) + epsT);
      }
      slot.spare = reuse ? weights : null;
      slot.weights = next;
      const value = tf.tensor(next, slot.param.variable.shape);
      // assign, never a write into the variable's memory: the wasm backend caches packed weights per tensor.
      slot.param.variable.assign(value);
      value.dispose();
    });
  }

  /** The current weights (the master copy), in parameter order. */
  weights(): NamedArray[] {
    return this.slots.map((s) => ({ name: s.param.name, shape: [...s.param.variable.shape], data: s.weights.slice() }));
  }

  /** Moments and step count: `adam/step`, then `<weight>/m` and `<weight>/v` per weight. */
  state(): NamedArray[] {
    const state: NamedArray[] = [{ name: STEP_NAME, shape: [], data: new Float32Array([this.step]) }];
    for (const s of this.slots) {
      const shape = [...s.param.variable.shape];
      state.push(
        { name: `${s.param.name}/m`, shape, data: s.m.slice() },
        { name: `${s.param.name}/v`, shape, data: s.v.slice() },
      );
    }
    return state;
  }

  /** Restores moments and step count saved by state(). */
  restore(state: NamedArray[]): void {
    const byName = new Map(state.map((a) => [a.name, a]));
    const step = byName.get(STEP_NAME);
    if (step === undefined || step.data.length !== 1 || !Number.isInteger(step.data[0]) || step.data[0] < 0) {
      throw new AdamError(`optimizer state has no valid '${STEP_NAME}' (a non-negative integer step count)`);
    }
    const restored = this.slots.map((slot) => {
      const get = (suffix: string): Float32Array => {
        const name = `${slot.param.name}/${suffix}`;
        const a = byName.get(name);
        if (a === undefined) throw new AdamError(`optimizer state has no '${name}'; was it saved for another model?`);
        if (a.data.length !== slot.weights.length) {
          throw new AdamError(
            `optimizer state '${name}' has ${a.data.length} values but the weight has ${slot.weights.length}`,
          );
        }
        return a.data.slice();
      };
      return { m: get('m'), v: get('v') };
    });
    restored.forEach((r, i) => {
      this.slots[i].m = r.m;
      this.slots[i].v = r.v;
    });
    this.step = step.data[0];
  }
}
