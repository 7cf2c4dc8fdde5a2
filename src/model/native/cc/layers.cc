// Row-wise layers with their gradients: SwiGLU, RMSNorm, the rotary embedding of a packed q/k/v projection, and the
// learner's per-token log-probability and entropy.
#include "native.h"

namespace {

MULTIVERSIONED void swigluRows(const float* gateUp, float* out, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; r++) {
    const float *gate = gateUp + r * 2 * width, *up = gate + width;
    float* o = out + r * width;
#pragma omp simd
    for (size_t j = 0; j < width; j++) o[j] = gate[j] / (1.0f + fastExp(-gate[j])) * up[j];
  }
}

MULTIVERSIONED void swigluGradRows(const float* gateUp, const float* dy, float* dGateUp, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; r++) {
    const float *gate = gateUp + r * 2 * width, *up = gate + width, *d = dy + r * width;
    float *dGate = dGateUp + r * 2 * width, *dUp = dGate + width;
#pragma omp simd
    for (size_t j = 0; j < width; j++) {
      const float sigmoid = 1.0f / (1.0f + fastExp(-gate[j]));
      dUp[j] = d[j] * gate[j] * sigmoid;
      dGate[j] = d[j] * up[j] * sigmoid * (1.0f + gate[j] * (1.0f - sigmoid));
    }
  }
}

MULTIVERSIONED void rmsNormRows(const float* x, const float* w, float* out, size_t rows, size_t width, float eps) {
  for (size_t r = 0; r < rows; r++) {
    const float* row = x + r * width;
    float squares = 0;
#pragma omp simd reduction(+ : squares)
    for (size_t j = 0; j < width; j++) squares += row[j] * row[j];
    const float scale = 1.0f / std::sqrt(squares / width + eps);
    float* o = out + r * width;
#pragma omp simd
    for (size_t j = 0; j < width; j++) o[j] = row[j] * scale * w[j];
  }
}

// dx = s·(dy·w − x·s²·mean(dy·w·x)), dw = Σ_rows dy·x·s, with s = 1/sqrt(mean(x²) + eps) per row.
MULTIVERSIONED void rmsNormGradRows(const float* x, const float* w, const float* dy, float* dx, float* dw, size_t rows,
                                    size_t width, float eps) {
  for (size_t j = 0; j < width; j++) dw[j] = 0;
  for (size_t r = 0; r < rows; r++) {
    const float *row = x + r * width, *d = dy + r * width;
    float squares = 0, dot = 0;
#pragma omp simd reduction(+ : squares, dot)
    for (size_t j = 0; j < width; j++) {
      squares += row[j] * row[j];
      dot += d[j] * w[j] * row[j];
    }
    const float scale = 1.0f / std::sqrt(squares / width + eps);
    const float correction = scale * scale * dot / width;
    float* o = dx + r * width;
#pragma omp simd
    for (size_t j = 0; j < width; j++) {
      o[j] = scale * (d[j] * w[j] - row[j] * correction);
      dw[j] += d[j] * row[j] * scale;
    }
  }
}

// Rotary embedding of one head (HF's rotate_half convention): out = (x·cos + rotate_half(x)·sin)·scale, and its
// transpose for the gradient: dx = (dy·cos + rotate_halfᵀ(dy·sin))·scale.
inline void rotate(const float* x, const float* cos, const float* sin, float* out, size_t hd, float scale) {
  const size_t half = hd / 2;
#pragma omp simd
  for (size_t j = 0; j < half; j++) out[j] = (x[j] * cos[j] - x[j + half] * sin[j]) * scale;
#pragma omp simd
  for (size_t j = half; j < hd; j++) out[j] = (x[j] * cos[j] + x[j - half] * sin[j]) * scale;
}

inline void rotateBack(const float* dy, const float* cos, const float* sin, float* dx, size_t hd, float scale) {
  const size_t half = hd / 2;
#pragma omp simd
  for (size_t j = 0; j < half; j++) dx[j] = (dy[j] * cos[j] + dy[j + half] * sin[j + half]) * scale;
#pragma omp simd
  for (size_t j = half; j < hd; j++) dx[j] = (dy[j] * cos[j] - dy[j - half] * sin[j - half]) * scale;
}

/** Per token: query heads rotated and scaled, key heads rotated, values copied (forward or backward). */
MULTIVERSIONED void ropeRows(const float* in, const float* cos, const float* sin, float* out, size_t tokens,
                             size_t heads, size_t kvHeads, size_t hd, float qScale, bool backward) {
  const size_t width = (heads + 2 * kvHeads) * hd;
  for (size_t t = 0; t < tokens; t++) {
    const float *row = in + t * width, *c = cos + t * hd, *s = sin + t * hd;
    float* o = out + t * width;
    for (size_t h = 0; h < heads + kvHeads; h++) {
      const float scale = h < heads ? qScale : 1.0f;
      if (backward) rotateBack(row + h * hd, c, s, o + h * hd, hd, scale);
      else rotate(row + h * hd, c, s, o + h * hd, hd, scale);
    }
    std::memcpy(o + (heads + kvHeads) * hd, row + (heads + kvHeads) * hd, kvHeads * hd * sizeof(float));
  }
}

napi_value rope(napi_env env, napi_callback_info info, bool backward) {
  return kernelCall<9>(env, info, "ropeQkv", [backward](Heap& heap, const double* v) {
    const size_t tokens = v[0], heads = v[1], kvHeads = v[2], hd = v[3];
    const double packed = double(tokens) * (heads + 2 * kvHeads) * hd, table = double(tokens) * hd;
    heap.require(hd % 2 == 0);
    return heap.run(ropeRows, heap.floats(v[5], packed), heap.floats(v[6], table), heap.floats(v[7], table),
                    heap.floats(v[8], packed), tokens, heads, kvHeads, hd, float(v[4]), backward);
  });
}

}  // namespace

// swiglu(heap, rows, width, gateUpOffset, outOffset): silu(gate)·up for gateUp [rows, 2·width] = [gate | up].
napi_value Swiglu(napi_env env, napi_callback_info info) {
  return kernelCall<4>(env, info, "swiglu", [](Heap& heap, const double* v) {
    const size_t rows = v[0], width = v[1];
    return heap.run(swigluRows, heap.floats(v[2], 2.0 * rows * width), heap.floats(v[3], double(rows) * width), rows,
                    width);
  });
}

// swigluGrad(heap, rows, width, gateUpOffset, dyOffset, dGateUpOffset): the gradient for gateUp, same layout.
napi_value SwigluGrad(napi_env env, napi_callback_info info) {
  return kernelCall<5>(env, info, "swigluGrad", [](Heap& heap, const double* v) {
    const size_t rows = v[0], width = v[1];
    const double packed = 2.0 * rows * width;
    return heap.run(swigluGradRows, heap.floats(v[2], packed), heap.floats(v[3], double(rows) * width),
                    heap.floats(v[4], packed), rows, width);
  });
}

// rmsNorm(heap, rows, width, eps, xOffset, weightOffset, outOffset): x / sqrt(mean(x²) + eps) · weight per row.
napi_value RmsNorm(napi_env env, napi_callback_info info) {
  return kernelCall<6>(env, info, "rmsNorm", [](Heap& heap, const double* v) {
    const size_t rows = v[0], width = v[1];
    const double size = double(rows) * width;
    return heap.run(rmsNormRows, heap.floats(v[3], size), heap.floats(v[4], double(width)), heap.floats(v[5], size),
                    rows, width, float(v[2]));
  });
}

// rmsNormGrad(heap, rows, width, eps, xOffset, weightOffset, dyOffset, dxOffset, dWeightOffset)
napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  return kernelCall<8>(env, info, "rmsNormGrad", [](Heap& heap, const double* v) {
    const size_t rows = v[0], width = v[1];
    const double size = double(rows) * width;
    float *x = heap.floats(v[3], size), *w = heap.floats(v[4], double(width)), *dy = heap.floats(v[5], size);
    return heap.run(rmsNormGradRows, x, w, dy, heap.floats(v[6], size), heap.floats(v[7], double(width)), rows, width,
                    float(v[2]));
  });
}

// ropeQkv(heap, tokens, heads, kvHeads, headDim, qScale, qkvOffset, cosOffset, sinOffset, outOffset)
// The packed projection qkv [tokens, (heads + 2·kvHeads)·headDim] with its query heads rotated and scaled by qScale
// and its key heads rotated (cos and sin [tokens, headDim] per token); values unchanged. Same layout out.
napi_value RopeQkv(napi_env env, napi_callback_info info) { return rope(env, info, false); }

// ropeQkvGrad(heap, tokens, heads, kvHeads, headDim, qScale, dOutOffset, cosOffset, sinOffset, dQkvOffset)
napi_value RopeQkvGrad(napi_env env, napi_callback_info info) { return rope(env, info, true); }

namespace {

/** log-sum-exp of one row, vectorised. */
MULTIVERSIONED float logSumExp(const float* row, size_t width) {
  float max = -INFINITY;
#pragma omp simd reduction(max : max)
  for (size_t j = 0; j < width; j++) max = row[j] > max ? row[j] : max;
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t j = 0; j < width; j++) sum += fastExp(row[j] - max);
  return max + std::log(sum);
}

/** Per row: log p(target) and the entropy −Σ p·log p of softmax(logits), into out[2·row], out[2·row + 1]. */
MULTIVERSIONED void tokenLogprobRows(const float* logits, const int32_t* targets, float* out, size_t rows,
                                     size_t vocab) {
  for (size_t r = 0; r < rows; r++) {
    const float* row = logits + r * vocab;
    const float lse = logSumExp(row, vocab);
    float plogp = 0;
#pragma omp simd reduction(+ : plogp)
    for (size_t j = 0; j < vocab; j++) plogp += fastExp(row[j] - lse) * (row[j] - lse);
    out[2 * r] = row[targets[r]] - lse;
    out[2 * r + 1] = -plogp;
  }
}

// d/dz log p(t) = onehot(t) − p;  d/dz H = −p·(log p + H).
MULTIVERSIONED void tokenLogprobGradRows(const float* logits, const int32_t* targets, const float* dOut, float* dLogits,
                                         size_t rows, size_t vocab) {
  for (size_t r = 0; r < rows; r++) {
    const float* row = logits + r * vocab;
    float* d = dLogits + r * vocab;
    const float lse = logSumExp(row, vocab);
    float plogp = 0;
#pragma omp simd reduction(+ : plogp)
    for (size_t j = 0; j < vocab; j++) plogp += fastExp(row[j] - lse) * (row[j] - lse);
    const float entropy = -plogp, dLogp = dOut[2 * r], dEntropy = dOut[2 * r + 1];
#pragma omp simd
    for (size_t j = 0; j < vocab; j++) {
      const float logp = row[j] - lse, p = fastExp(logp);
      d[j] = -dLogp * p - dEntropy * p * (logp + entropy);
    }
    d[targets[r]] += dLogp;
  }
}

}  // namespace

// tokenLogprobs(heap, rows, vocab, logitsOffset, targetsOffset, outOffset): logits [rows, vocab], int32 targets
// [rows] → [rows, 2] = (log-probability of the target, entropy) under softmax(logits).
napi_value TokenLogprobs(napi_env env, napi_callback_info info) {
  return kernelCall<5>(env, info, "tokenLogprobs", [](Heap& heap, const double* v) -> const char* {
    const size_t rows = v[0], vocab = v[1];
    const float* logits = heap.floats(v[2], double(rows) * vocab);
    const int32_t* targets = heap.ints(v[3], double(rows));
    float* out = heap.floats(v[4], 2.0 * rows);
    if (heap.checked()) return heap.checked();
    for (size_t r = 0; r < rows; r++)
      if (targets[r] < 0 || size_t(targets[r]) >= vocab) return "azr_native: target outside the vocabulary";
    return heap.run(tokenLogprobRows, logits, targets, out, rows, vocab);
  });
}

// tokenLogprobsGrad(heap, rows, vocab, logitsOffset, targetsOffset, dOutOffset, dLogitsOffset)
napi_value TokenLogprobsGrad(napi_env env, napi_callback_info info) {
  return kernelCall<6>(env, info, "tokenLogprobsGrad", [](Heap& heap, const double* v) {
    const size_t rows = v[0], vocab = v[1];
    const double size = double(rows) * vocab;
    return heap.run(tokenLogprobGradRows, heap.floats(v[2], size), heap.ints(v[3], double(rows)),
                    heap.floats(v[4], 2.0 * rows), heap.floats(v[5], size), rows, vocab);
  });
}
