/**
 * Seeded random streams. Every stream the engine draws from (weight init, shuffles, ε, binarization) is keyed by
 * (seed, stream, indices such as epoch and batch), never by how many numbers were drawn before: resuming at
 * epoch k draws exactly what an uninterrupted run would, and adding a layer does not shift the other layers' init.
 */

/** Which use a stream serves; part of its key so two uses never share numbers. */
export const Stream = {
  init: 1,
  subset: 2,
  shuffle: 3,
  epsilon: 4,
  binarizeTrain: 5,
  binarizeTest: 6,
  testEpsilon: 7,
  priorSamples: 8,
  importanceSampling: 9,
} as const;
export type StreamId = (typeof Stream)[keyof typeof Stream];

/** A 32-bit integer hash (the finaliser of MurmurHash3), used to mix the key into a state. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Rng {
  /** Uniform integer in [0, 2³²). */
  nextUint32(): number;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
}

/**
 * The generator for one stream. sfc32 (Chris Doty-Humphrey's PractRand small fast counter): 128-bit state,
 * passes PractRand, plain 32-bit integer arithmetic so every JS engine gives the same numbers.
 */
export function rngFor(seed: number, stream: StreamId, ...indices: number[]): Rng {
  let h = mix32(seed ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(stream, 0x27d4eb2d));
  for (const index of indices) h = mix32(h ^ mix32(index + 0x165667b1));
  let a = h;
  let b = mix32(h ^ 0x85ebca6b);
  let c = mix32(h ^ 0xc2b2ae35);
  let d = 1;
  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  const uniform = (): number => nextUint32() / 4294967296;
  let spare: number | null = null;
  // Box–Muller; u1 is kept away from 0 so log(u1) is finite.
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u1 = (nextUint32() + 1) / 4294967297;
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  return { nextUint32, uniform, normal };
}

export function fillNormal(rng: Rng, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** Fisher–Yates shuffle of 0..n−1. */
export function permutation(rng: Rng, n: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** FNV-1a hash of a string, for keying a stream by a name (e.g. a weight's name). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
