// Attention kernels on the packed, rotated projection qkv [batch, seq, (heads + 2·kvHeads)·headDim] (queries, then
// keys, then values, per token; layers.cc's ropeQkv makes it): no split, no transposes. Queries are already scaled.
// Query head h reads kv head h / (heads / kvHeads) (grouped-query attention).
#include <vector>

#include "native.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

/** Row-wise softmax of rows + mask, in place; each row of `mask` lines up with a row of `rows`. */
MULTIVERSIONED void softmaxRows(float* rows, const float* mask, size_t count, size_t width) {
  for (size_t i = 0; i < count; i++) {
    float* row = rows + i * width;
    const float* maskRow = mask + i * width;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (size_t j = 0; j < width; j++) {
      row[j] += maskRow[j];
      max = row[j] > max ? row[j] : max;  // not std::fmax: its NaN rules make it a libm call per element
    }
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t j = 0; j < width; j++) sum += row[j] = fastExp(row[j] - max);
    const float scale = 1 / sum;
#pragma omp simd
    for (size_t j = 0; j < width; j++) row[j] *= scale;
  }
}

/** dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place in dP: the softmax backward. */
MULTIVERSIONED void softmaxBackwardRows(float* dP, const float* p, size_t count, size_t width) {
  for (size_t i = 0; i < count; i++) {
    float* d = dP + i * width;
    const float* row = p + i * width;
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (size_t j = 0; j < width; j++) dot += d[j] * row[j];
#pragma omp simd
    for (size_t j = 0; j < width; j++) d[j] = row[j] * (d[j] - dot);
  }
}

/** float32 → bfloat16 bits, rounded to nearest even (as the bfloat16 products round their operands). */
inline uint16_t toBfloat16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return uint16_t((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}
inline float widen(float x) { return x; }
inline float widen(uint16_t x) {
  const uint32_t bits = uint32_t(x) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

/**
 * softmax(query·keys + mask)·values for one query over `length` cache rows of float32 or bfloat16 (`Cached`); keys
 * are stored transposed ([headDim, capacity]) so every loop runs over contiguous memory without horizontal sums. Both
 * products take four head dimensions (scores) or four keys (out) per pass: a pass loads and stores its accumulator
 * row once for four products instead of once for each, which bounded these loops.
 */
template <typename Cached>
__attribute__((always_inline)) inline void attendRowBody(const float* query, const Cached* keysT,
                                                         const Cached* values, const float* mask, size_t length,
                                                         size_t capacity, size_t hd, float* scores, float* out) {
#pragma omp simd
  for (size_t j = 0; j < length; j++) scores[j] = mask[j];
  size_t d = 0;
  for (; d + 4 <= hd; d += 4) {
    const float q0 = query[d], q1 = query[d + 1], q2 = query[d + 2], q3 = query[d + 3];
    const Cached *k0 = keysT + d * capacity, *k1 = k0 + capacity, *k2 = k1 + capacity, *k3 = k2 + capacity;
#pragma omp simd
    for (size_t j = 0; j < length; j++)
      scores[j] += q0 * widen(k0[j]) + q1 * widen(k1[j]) + q2 * widen(k2[j]) + q3 * widen(k3[j]);
  }
  for (; d < hd; d++) {
    const float qd = query[d];
    const Cached* row = keysT + d * capacity;
#pragma omp simd
    for (size_t j = 0; j < length; j++) scores[j] += qd * widen(row[j]);
  }
  float max = -INFINITY;
#pragma omp simd reduction(max : max)
  for (size_t j = 0; j < length; j++) max = scores[j] > max ? scores[j] : max;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t j = 0; j < length; j++) sum += scores[j] = fastExp(scores[j] - max);
  const float scale = 1 / sum;
  for (size_t e = 0; e < hd; e++) out[e] = 0;
  size_t j = 0;
  for (; j + 4 <= length; j += 4) {
    const float p0 = scores[j] * scale, p1 = scores[j + 1] * scale, p2 = scores[j + 2] * scale,
                p3 = scores[j + 3] * scale;
    const Cached *v0 = values + j * hd, *v1 = v0 + hd, *v2 = v1 + hd, *v3 = v2 + hd;
#pragma omp simd
    for (size_t e = 0; e < hd; e++)
      out[e] += p0 * widen(v0[e]) + p1 * widen(v1[e]) + p2 * widen(v2[e]) + p3 * widen(v3[e]);
  }
  for (; j < length; j++) {
    const float p = scores[j] * scale;
#pragma omp simd
    for (size_t e = 0; e < hd; e++) out[e] += p * widen(values[j * hd + e]);
  }
}

MULTIVERSIONED void attendRow(const float* query, const float* keysT, const float* values, const float* mask,
                              size_t length, size_t capacity, size_t hd, float* scores, float* out) {
  attendRowBody(query, keysT, values, mask, length, capacity, hd, scores, out);
}

#if defined(__x86_64__)
// The bfloat16 cache's reader, in AVX-512 (a bfloat16 cache exists only where AMX, hence AVX-512, runs). The scores
// of 32 keys at a time stay in registers over the whole head dimension, and the output over 4 keys at a time, so
// neither is stored and reloaded per pass; with the cache's halved bytes, ~0.6× the float32 reader's time on a
// batch's caches that do not fit the L2 (decoding reads all of them every token).
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq")
/** The first `left` of 16 lanes (all 16 from 16 on). */
inline __mmask16 lanes(size_t left) { return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1); }
/** 16 bfloat16 (the masked ones 0), widened to float32. */
inline __m512 load16(__mmask16 m, const uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}
void attendRow(const float* query, const uint16_t* keysT, const uint16_t* values, const float* mask, size_t length,
               size_t capacity, size_t hd, float* scores, float* out) {
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  for (size_t j0 = 0; j0 < length; j0 += 32) {
    const __mmask16 m0 = lanes(length - j0), m1 = length - j0 > 16 ? lanes(length - j0 - 16) : 0;
    __m512 a0 = _mm512_maskz_loadu_ps(m0, mask + j0), a1 = _mm512_maskz_loadu_ps(m1, mask + j0 + 16);
    __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    const uint16_t* k = keysT + j0;
    size_t d = 0;
    for (; d + 2 <= hd; d += 2, k += 2 * capacity) {
      const __m512 q0 = _mm512_set1_ps(query[d]), q1 = _mm512_set1_ps(query[d + 1]);
      a0 = _mm512_fmadd_ps(q0, load16(m0, k), a0);
      a1 = _mm512_fmadd_ps(q0, load16(m1, k + 16), a1);
      b0 = _mm512_fmadd_ps(q1, load16(m0, k + capacity), b0);
      b1 = _mm512_fmadd_ps(q1, load16(m1, k + capacity + 16), b1);
    }
    if (d < hd) {
      const __m512 q0 = _mm512_set1_ps(query[d]);
      a0 = _mm512_fmadd_ps(q0, load16(m0, k), a0);
      a1 = _mm512_fmadd_ps(q0, load16(m1, k + 16), a1);
    }
    a0 = _mm512_add_ps(a0, b0);
    a1 = _mm512_add_ps(a1, b1);
    _mm512_mask_storeu_ps(scores + j0, m0, a0);
    _mm512_mask_storeu_ps(scores + j0 + 16, m1, a1);
    vmax = _mm512_mask_max_ps(vmax, m0, vmax, a0);
    vmax = _mm512_mask_max_ps(vmax, m1, vmax, a1);
  }
  const float max = _mm512_reduce_max_ps(vmax);
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t j = 0; j < length; j++) sum += scores[j] = fastExp(scores[j] - max);
  const __m512 scale = _mm512_set1_ps(1 / sum);
  for (size_t e0 = 0; e0 < hd; e0 += 32) {
    const __mmask16 m0 = lanes(hd - e0), m1 = hd - e0 > 16 ? lanes(hd - e0 - 16) : 0;
    __m512 acc[4][2];
    for (auto& a : acc) a[0] = a[1] = _mm512_setzero_ps();
    const uint16_t* v = values + e0;
    size_t j = 0;
    for (; j + 4 <= length; j += 4, v += 4 * hd)
      for (size_t u = 0; u < 4; u++) {
        const __m512 p = _mm512_set1_ps(scores[j + u]);
        acc[u][0] = _mm512_fmadd_ps(p, load16(m0, v + u * hd), acc[u][0]);
        acc[u][1] = _mm512_fmadd_ps(p, load16(m1, v + u * hd + 16), acc[u][1]);
      }
    for (; j < length; j++, v += hd) {
      const __m512 p = _mm512_set1_ps(scores[j]);
      acc[0][0] = _mm512_fmadd_ps(p, load16(m0, v), acc[0][0]);
      acc[0][1] = _mm512_fmadd_ps(p, load16(m1, v + 16), acc[0][1]);
    }
    for (size_t h = 0; h < 2; h++) {
      const __m512 total = _mm512_add_ps(_mm512_add_ps(acc[0][h], acc[1][h]), _mm512_add_ps(acc[2][h], acc[3][h]));
      _mm512_mask_storeu_ps(out + e0 + 16 * h, h ? m1 : m0, _mm512_mul_ps(total, scale));
    }
  }
}
#pragma GCC pop_options
#else
void attendRow(const float* query, const uint16_t* keysT, const uint16_t* values, const float* mask, size_t length,
               size_t capacity, size_t hd, float* scores, float* out) {
  attendRowBody(query, keysT, values, mask, length, capacity, hd, scores, out);
}
#endif

/** Offsets, in floats within one token's packed row, of query head h, and key/value head g. */
struct Packed {
  size_t heads, kvHeads, hd;
  size_t width() const { return (heads + 2 * kvHeads) * hd; }
  size_t query(size_t h) const { return h * hd; }
  size_t key(size_t g) const { return (heads + g) * hd; }
  size_t value(size_t g) const { return (heads + kvHeads + g) * hd; }
  size_t kvOf(size_t h) const { return h / (heads / kvHeads); }
};

/**
 * A decoding cache (attendCached's layout): keys transposed, values as they are, float32 or bfloat16 (`half`).
 * `start` is a (sequence, kv head) block's first element.
 */
struct Cache {
  float *keys, *values;
  bool half;
  size_t hd, capacity;

  /** Writes kv head g of a token's packed row into block `start` at position `at`. */
  void store(const float* row, const Packed& packed, size_t g, size_t start, size_t at) const {
    const float *key = row + packed.key(g), *value = row + packed.value(g);
    if (half) {
      uint16_t *kHalf = reinterpret_cast<uint16_t*>(keys), *vHalf = reinterpret_cast<uint16_t*>(values);
      for (size_t d = 0; d < hd; d++) kHalf[start + d * capacity + at] = toBfloat16(key[d]);
      for (size_t d = 0; d < hd; d++) vHalf[start + at * hd + d] = toBfloat16(value[d]);
    } else {
      for (size_t d = 0; d < hd; d++) keys[start + d * capacity + at] = key[d];
      std::memcpy(values + start + at * hd, value, hd * sizeof(float));
    }
  }

  /** One query over the first `length` positions of block `start`, with the additive mask [length]. */
  void attend(const float* query, size_t start, const float* mask, size_t length, float* scores, float* out) const {
    if (half)
      attendRow(query, reinterpret_cast<const uint16_t*>(keys) + start, reinterpret_cast<const uint16_t*>(values) + start,
                mask, length, capacity, hd, scores, out);
    else
      attendRow(query, keys + start, values + start, mask, length, capacity, hd, scores, out);
  }
};

}  // namespace

// attendCached(heap, batch, steps, heads, kvHeads, headDim, capacity, cacheRows, at, qkvOffset, kCacheOffset,
//              vCacheOffset, maskOffset, outOffset)
// Decoding attention over a preallocated cache of `cacheRows` sequences, in two parts. Row b of qkv [batch, steps,
// packed] is sequence b of the cache (a sampler runs its prompt so; later tokens go through attendPlaced). First the new
// keys and values are written in place at positions at..at+steps of the caches: keys transposed ([cacheRows,
// kvHeads, headDim, capacity]), values as they are ([cacheRows, kvHeads, capacity, headDim]), as float32, or as
// bfloat16 where this thread's products are (`setProducts`). Then every query
// attends over the first at+steps positions of its kv head with the additive mask [batch, steps, at+steps]; out
// [batch, steps, heads, headDim].
napi_value AttendCached(napi_env env, napi_callback_info info) {
  return kernelCall<13>(env, info, "attendCached", [](Heap& heap, const double* v) -> const char* {
    const size_t batch = v[0], steps = v[1], heads = v[2], kvHeads = v[3], hd = v[4], capacity = v[5];
    const size_t cacheRows = v[6], at = v[7];
    const Packed packed{heads, kvHeads, hd};
    const size_t length = at + steps, width = packed.width(), tokens = batch * steps;
    const double cacheSize = double(cacheRows) * kvHeads * capacity * hd;
    heap.require(length <= capacity && heads % kvHeads == 0 && batch <= cacheRows);
    const float *qkv = heap.floats(v[8], double(tokens) * width), *mask = heap.floats(v[11], double(tokens) * length);
    float *kCache = heap.floats(v[9], cacheSize), *vCache = heap.floats(v[10], cacheSize);
    float* out = heap.floats(v[12], double(tokens) * heads * hd);
    if (heap.checked()) return heap.checked();
    /** Where kv head g of qkv row b lives in either cache. */
    const auto block = [&](size_t b, size_t g) { return (b * kvHeads + g) * capacity * hd; };
    // With bfloat16 products the caches hold bfloat16, at the same indices (the first half of their bytes): decoding
    // reads every row's whole cache once per token, and at this model's size that read bounds it (docs/native.md).
    const bool half = bfloat16Products();
    const Cache cache{kCache, vCache, half, hd, capacity};
    for (size_t b = 0; b < batch; b++)
      for (size_t t = 0; t < steps; t++)
        for (size_t g = 0; g < kvHeads; g++) cache.store(qkv + (b * steps + t) * width, packed, g, block(b, g), at + t);
    if (steps > 1 && blasLoaded() && (!half || at == 0)) {
      // A prompt: per head, two products instead of one query at a time. A bfloat16 cache is not a product's
      // operand: the prompt's keys and values are read from qkv, rounded by the products as the cache was.
      std::vector<float> scores(steps * length);
      for (size_t b = 0; b < batch; b++)
        for (size_t h = 0; h < heads; h++) {
          const size_t g = packed.kvOf(h), start = block(b, g);
          const float* own = qkv + b * steps * width;
          float* target = out + b * steps * heads * hd + h * hd;
          // Keys: qkv's rows (read transposed) or the cache's transposed block; values: qkv's rows or the cache's.
          const float *keys = half ? own + packed.key(g) : kCache + start,
                      *values = half ? own + packed.value(g) : vCache + start;
          product(false, half, steps, length, hd, own + packed.query(h), width, keys, half ? width : capacity, 0,
                  scores.data(), length);
          softmaxRows(scores.data(), mask + b * steps * length, steps, length);
          product(false, false, steps, hd, length, scores.data(), length, values, half ? width : hd, 0, target,
                  heads * hd);
        }
      return nullptr;
    }
    std::vector<float> scores(length);
    for (size_t token = 0; token < tokens; token++)
      for (size_t h = 0; h < heads; h++)
        cache.attend(qkv + token * width + packed.query(h), block(token / steps, packed.kvOf(h)), mask + token * length,
                     length, scores.data(), out + (token * heads + h) * hd);
    return nullptr;
  });
}

// attendPlaced(heap, tokens, heads, kvHeads, headDim, capacity, cacheRows, qkvOffset, kCacheOffset, vCacheOffset,
//              placesOffset, outOffset)
// Decoding attention for tokens that each have their own place: token i of qkv [tokens, packed] belongs to cache
// sequence places[3i] at position places[3i+1], and attends over that sequence's positions up to its own, those
// below places[3i+2] (a left-padded prompt's pads) masked. Rows of a batch may so feed different numbers of tokens
// at different lengths (a sampler appending a grammar's forced characters, src/model/sampling.ts). The caches are
// attendCached's; every token's keys and values are written before any query reads, so a token sees the ones fed
// before it in the same call. Each query is computed as attendCached's one-token steps compute it. out [tokens,
// heads, headDim].
napi_value AttendPlaced(napi_env env, napi_callback_info info) {
  return kernelCall<11>(env, info, "attendPlaced", [](Heap& heap, const double* v) -> const char* {
    const size_t tokens = v[0], heads = v[1], kvHeads = v[2], hd = v[3], capacity = v[4], cacheRows = v[5];
    const Packed packed{heads, kvHeads, hd};
    const size_t width = packed.width();
    const double cacheSize = double(cacheRows) * kvHeads * capacity * hd;
    heap.require(heads % kvHeads == 0);
    const float* qkv = heap.floats(v[6], double(tokens) * width);
    float *kCache = heap.floats(v[7], cacheSize), *vCache = heap.floats(v[8], cacheSize);
    const int32_t* places = heap.ints(v[9], double(tokens) * 3);
    float* out = heap.floats(v[10], double(tokens) * heads * hd);
    if (heap.checked()) return heap.checked();
    for (size_t i = 0; i < tokens; i++) {
      const int32_t row = places[3 * i], at = places[3 * i + 1], from = places[3 * i + 2];
      heap.require(row >= 0 && size_t(row) < cacheRows && at >= 0 && size_t(at) < capacity && from >= 0 && from <= at);
    }
    if (heap.checked()) return "azr_native: attendPlaced place outside the cache";
    const Cache cache{kCache, vCache, bfloat16Products(), hd, capacity};
    const auto block = [&](size_t i, size_t g) { return (size_t(places[3 * i]) * kvHeads + g) * capacity * hd; };
    for (size_t i = 0; i < tokens; i++)
      for (size_t g = 0; g < kvHeads; g++) cache.store(qkv + i * width, packed, g, block(i, g), places[3 * i + 1]);
    std::vector<float> scores(capacity), mask(capacity);
    for (size_t i = 0; i < tokens; i++) {
      const size_t length = size_t(places[3 * i + 1]) + 1, from = places[3 * i + 2];
      // The mask attendCached's callers build for a pad-led row (src/model/sampling.ts: NEG_INF, src/model/ops.ts).
      std::fill(mask.begin(), mask.begin() + from, -1e9f);
      std::fill(mask.begin() + from, mask.begin() + length, 0.0f);
      for (size_t h = 0; h < heads; h++)
        cache.attend(qkv + i * width + packed.query(h), block(i, packed.kvOf(h)), mask.data(), length, scores.data(),
                     out + (i * heads + h) * hd);
    }
    return nullptr;
  });
}

// attention(heap, batch, seq, heads, kvHeads, headDim, maskBatchStride, qkvOffset, maskOffset, probsOffset,
//           outOffset)
// Training-path attention: qkv [batch, seq, packed], the additive mask [seq, seq] per batch row (stride 0 to share
// one); writes the probabilities [batch, heads, seq, seq] (the backward needs them) and out [batch, seq, heads, hd].
napi_value Attention(napi_env env, napi_callback_info info) {
  return kernelCall<10>(env, info, "attention", [](Heap& heap, const double* v) -> const char* {
    if (!blasLoaded()) return "azr_native: no BLAS loaded";
    const size_t batch = v[0], seq = v[1], heads = v[2], kvHeads = v[3], hd = v[4], maskStride = v[5];
    const Packed packed{heads, kvHeads, hd};
    const size_t width = packed.width(), outRow = heads * hd;
    heap.require(heads % kvHeads == 0);
    const float* qkv = heap.floats(v[6], double(batch) * seq * width);
    const float* mask = heap.floats(v[7], double(maskStride) * (batch - 1) + double(seq) * seq);
    float* probs = heap.floats(v[8], double(batch) * heads * seq * seq);
    float* out = heap.floats(v[9], double(batch) * seq * outRow);
    if (heap.checked()) return heap.checked();
    for (size_t b = 0; b < batch; b++)
      for (size_t h = 0; h < heads; h++) {
        const float* rows = qkv + b * seq * width;
        const size_t g = packed.kvOf(h);
        float* p = probs + (b * heads + h) * seq * seq;
        product(false, true, seq, seq, hd, rows + packed.query(h), width, rows + packed.key(g), width, 0, p, seq);
        softmaxRows(p, mask + b * maskStride, seq, seq);
        product(false, false, seq, hd, seq, p, seq, rows + packed.value(g), width, 0, out + b * seq * outRow + h * hd,
             outRow);
      }
    return nullptr;
  });
}

// attentionGrad(heap, batch, seq, heads, kvHeads, headDim, qkvOffset, probsOffset, dOutOffset, dQkvOffset)
// The gradient of `attention` for dOut [batch, seq, heads, hd], in qkv's packed layout (the key and value parts
// summed over the query heads that share them).
napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  return kernelCall<9>(env, info, "attentionGrad", [](Heap& heap, const double* v) -> const char* {
    if (!blasLoaded()) return "azr_native: no BLAS loaded";
    const size_t batch = v[0], seq = v[1], heads = v[2], kvHeads = v[3], hd = v[4];
    const Packed packed{heads, kvHeads, hd};
    const size_t width = packed.width(), outRow = heads * hd, group = heads / kvHeads;
    const double packedSize = double(batch) * seq * width;
    heap.require(heads % kvHeads == 0);
    const float *qkv = heap.floats(v[5], packedSize), *probs = heap.floats(v[6], double(batch) * heads * seq * seq);
    const float* dOut = heap.floats(v[7], double(batch) * seq * outRow);
    float* dQkv = heap.floats(v[8], packedSize);
    if (heap.checked()) return heap.checked();
    std::vector<float> dP(seq * seq);
    for (size_t b = 0; b < batch; b++)
      for (size_t h = 0; h < heads; h++) {
        const size_t g = packed.kvOf(h);
        const float* rows = qkv + b * seq * width;
        float* dRows = dQkv + b * seq * width;
        const float* p = probs + (b * heads + h) * seq * seq;
        const float* dO = dOut + b * seq * outRow + h * hd;
        const float accumulate = h % group == 0 ? 0.0f : 1.0f;  // a group's first query head initialises dk, dv
        product(true, false, seq, hd, seq, p, seq, dO, outRow, accumulate, dRows + packed.value(g), width);
        product(false, true, seq, seq, hd, dO, outRow, rows + packed.value(g), width, 0, dP.data(), seq);
        softmaxBackwardRows(dP.data(), p, seq, seq);
        product(false, false, seq, hd, seq, dP.data(), seq, rows + packed.key(g), width, 0, dRows + packed.query(h),
             width);
        product(true, false, seq, hd, seq, dP.data(), seq, rows + packed.query(h), width, accumulate,
             dRows + packed.key(g), width);
      }
    return nullptr;
  });
}
