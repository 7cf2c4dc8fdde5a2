// Attention kernels on the packed, rotated projection qkv [batch, seq, (heads + 2·kvHeads)·headDim] (queries, then
// keys, then values, per token; layers.cc's ropeQkv makes it): no split, no transposes. Queries are already scaled.
// Query head h reads kv head h / (heads / kvHeads) (grouped-query attention).
#include <vector>

#include "native.h"

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

/**
 * softmax(query·keys + mask)·values for one query over `length` cache rows; keys are stored transposed
 * ([headDim, capacity]) so every loop runs over contiguous memory without horizontal sums. Both products take four
 * head dimensions (scores) or four keys (out) per pass: a pass loads and stores its accumulator row once for four
 * products instead of once for each, which bounded these loops.
 */
MULTIVERSIONED void attendRow(const float* query, const float* keysT, const float* values, const float* mask,
                              size_t length, size_t capacity, size_t hd, float* scores, float* out) {
#pragma omp simd
  for (size_t j = 0; j < length; j++) scores[j] = mask[j];
  size_t d = 0;
  for (; d + 4 <= hd; d += 4) {
    const float q0 = query[d], q1 = query[d + 1], q2 = query[d + 2], q3 = query[d + 3];
    const float *k0 = keysT + d * capacity, *k1 = k0 + capacity, *k2 = k1 + capacity, *k3 = k2 + capacity;
#pragma omp simd
    for (size_t j = 0; j < length; j++) scores[j] += q0 * k0[j] + q1 * k1[j] + q2 * k2[j] + q3 * k3[j];
  }
  for (; d < hd; d++) {
    const float qd = query[d];
    const float* row = keysT + d * capacity;
#pragma omp simd
    for (size_t j = 0; j < length; j++) scores[j] += qd * row[j];
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
    const float *v0 = values + j * hd, *v1 = v0 + hd, *v2 = v1 + hd, *v3 = v2 + hd;
#pragma omp simd
    for (size_t e = 0; e < hd; e++) out[e] += p0 * v0[e] + p1 * v1[e] + p2 * v2[e] + p3 * v3[e];
  }
  for (; j < length; j++) {
    const float p = scores[j] * scale;
#pragma omp simd
    for (size_t e = 0; e < hd; e++) out[e] += p * values[j * hd + e];
  }
}

/** Offsets, in floats within one token's packed row, of query head h, and key/value head g. */
struct Packed {
  size_t heads, kvHeads, hd;
  size_t width() const { return (heads + 2 * kvHeads) * hd; }
  size_t query(size_t h) const { return h * hd; }
  size_t key(size_t g) const { return (heads + g) * hd; }
  size_t value(size_t g) const { return (heads + kvHeads + g) * hd; }
  size_t kvOf(size_t h) const { return h / (heads / kvHeads); }
};

}  // namespace

// attendCached(heap, batch, steps, heads, kvHeads, headDim, capacity, cacheRows, at, qkvOffset, kCacheOffset,
//              vCacheOffset, maskOffset, rowsOffset, outOffset)
// Decoding attention over a preallocated cache of `cacheRows` sequences, in two parts. Row b of qkv [batch, steps,
// packed] is sequence rows[b] of the cache (int32 [batch]: a sampler drops the rows that finished). First the new
// keys and values are written in place at positions at..at+steps of the caches: keys transposed ([cacheRows,
// kvHeads, headDim, capacity]), values as they are ([cacheRows, kvHeads, capacity, headDim]). Then every query
// attends over the first at+steps positions of its kv head with the additive mask [batch, steps, at+steps]; out
// [batch, steps, heads, headDim].
napi_value AttendCached(napi_env env, napi_callback_info info) {
  return kernelCall<14>(env, info, "attendCached", [](Heap& heap, const double* v) -> const char* {
    const size_t batch = v[0], steps = v[1], heads = v[2], kvHeads = v[3], hd = v[4], capacity = v[5];
    const size_t cacheRows = v[6], at = v[7];
    const Packed packed{heads, kvHeads, hd};
    const size_t length = at + steps, width = packed.width(), tokens = batch * steps;
    const double cacheSize = double(cacheRows) * kvHeads * capacity * hd;
    heap.require(length <= capacity && heads % kvHeads == 0);
    const float *qkv = heap.floats(v[8], double(tokens) * width), *mask = heap.floats(v[11], double(tokens) * length);
    float *kCache = heap.floats(v[9], cacheSize), *vCache = heap.floats(v[10], cacheSize);
    const int32_t* rows = heap.ints(v[12], batch);
    float* out = heap.floats(v[13], double(tokens) * heads * hd);
    if (heap.checked()) return heap.checked();
    for (size_t b = 0; b < batch; b++) heap.require(rows[b] >= 0 && size_t(rows[b]) < cacheRows);
    if (heap.checked()) return "azr_native: attendCached row outside the cache";
    /** Where kv head g of qkv row b lives in either cache. */
    const auto block = [&](size_t b, size_t g) { return (size_t(rows[b]) * kvHeads + g) * capacity * hd; };
    for (size_t b = 0; b < batch; b++)
      for (size_t t = 0; t < steps; t++)
        for (size_t g = 0; g < kvHeads; g++) {
          const float* row = qkv + (b * steps + t) * width;
          const size_t start = block(b, g);
          for (size_t d = 0; d < hd; d++) kCache[start + d * capacity + at + t] = row[packed.key(g) + d];
          std::memcpy(vCache + start + (at + t) * hd, row + packed.value(g), hd * sizeof(float));
        }
    if (steps > 1 && blasLoaded()) {
      // A prompt: per head, two products through the BLAS instead of one query at a time.
      std::vector<float> scores(steps * length);
      for (size_t b = 0; b < batch; b++)
        for (size_t h = 0; h < heads; h++) {
          const size_t start = block(b, packed.kvOf(h));
          gemm(false, false, steps, length, hd, qkv + b * steps * width + packed.query(h), width, kCache + start,
               capacity, 0, scores.data(), length);
          softmaxRows(scores.data(), mask + b * steps * length, steps, length);
          gemm(false, false, steps, hd, length, scores.data(), length, vCache + start, hd, 0,
               out + b * steps * heads * hd + h * hd, heads * hd);
        }
      return nullptr;
    }
    std::vector<float> scores(length);
    for (size_t token = 0; token < tokens; token++)
      for (size_t h = 0; h < heads; h++) {
        const size_t start = block(token / steps, packed.kvOf(h));
        attendRow(qkv + token * width + packed.query(h), kCache + start, vCache + start, mask + token * length, length,
                  capacity, hd, scores.data(), out + (token * heads + h) * hd);
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
        gemm(false, true, seq, seq, hd, rows + packed.query(h), width, rows + packed.key(g), width, 0, p, seq);
        softmaxRows(p, mask + b * maskStride, seq, seq);
        gemm(false, false, seq, hd, seq, p, seq, rows + packed.value(g), width, 0, out + b * seq * outRow + h * hd,
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
        gemm(true, false, seq, hd, seq, p, seq, dO, outRow, accumulate, dRows + packed.value(g), width);
        gemm(false, true, seq, seq, hd, dO, outRow, rows + packed.value(g), width, 0, dP.data(), seq);
        softmaxBackwardRows(dP.data(), p, seq, seq);
        gemm(false, false, seq, hd, seq, dP.data(), seq, rows + packed.key(g), width, 0, dRows + packed.query(h),
             width);
        gemm(true, false, seq, hd, seq, dP.data(), seq, rows + packed.query(h), width, accumulate,
             dRows + packed.key(g), width);
      }
    return nullptr;
  });
}
