// Seeded, serialisable random number generator (xoshiro128**). Its whole state is four uint32 words, so a
// checkpoint can store it and a resumed run draws exactly the numbers the uninterrupted run would have drawn.

export type RngState = [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;

  constructor(seed = 0) {
    const next = splitmix32(seed);
    this.s = new Uint32Array([next(), next(), next(), next()]);
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /**
   * The random stream of one row of a batch: derived from the batch's seed and the row's index in the whole
   * request, so a row samples the same tokens whichever batch or shard it is computed in (docs/distributed.md,
   * "Scaling generation").
   */
  static forRow(seed: number, row: number): Rng {
    const a = splitmix32(seed);
    const b = splitmix32((Math.imul(row, 0x85ebca6b) ^ 0x5bd1e995) >>> 0);
    return Rng.fromState([a() ^ b(), a() ^ b(), a() ^ b(), (a() ^ b()) | 1]);
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.s = new Uint32Array(state);
    return rng;
  }

  state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller; one draw per call keeps the state arithmetic simple). */
  normal(): number {
    const u1 = (this.nextUint32() + 1) / 4294967297;
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A child generator whose stream is independent of this one's future draws. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
