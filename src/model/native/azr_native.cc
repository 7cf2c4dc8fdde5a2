// Native kernels for the wasm backend: products through the system BLAS (OpenBLAS), computed in place on the wasm
// heap. The heap is a plain (non-shared) ArrayBuffer, so N-API hands us its address; every offset below is a byte
// offset into it that the caller took from the backend's data map *after* allocating the output (memory growth
// replaces the buffer). The BLAS is opened with dlopen at load time: no BLAS headers or link flags at build time.
#include <dlfcn.h>
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

enum CblasOrder { CblasRowMajor = 101 };
enum CblasTranspose { CblasNoTrans = 111, CblasTrans = 112 };
using SgemmFn = void (*)(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a,
                         int lda, const float* b, int ldb, float beta, float* c, int ldc);
using SetThreadsFn = void (*)(int);
using GetConfigFn = const char* (*)();

SgemmFn sgemm = nullptr;
std::string blasDescription;
std::string loadError;

void loadBlas() {
  // One BLAS thread: on a small machine a second one competes with the JS thread and was measured slower.
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  const char* candidates[] = {"libopenblas.so.0", "libblas.so.3"};
  for (const char* name : candidates) {
    void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      loadError += std::string(loadError.empty() ? "" : "; ") + dlerror();
      continue;
    }
    auto fn = reinterpret_cast<SgemmFn>(dlsym(lib, "cblas_sgemm"));
    if (!fn) {
      loadError += std::string(loadError.empty() ? "" : "; ") + name + " has no cblas_sgemm";
      continue;
    }
    sgemm = fn;
    if (auto setThreads = reinterpret_cast<SetThreadsFn>(dlsym(lib, "openblas_set_num_threads"))) setThreads(1);
    auto getConfig = reinterpret_cast<GetConfigFn>(dlsym(lib, "openblas_get_config"));
    blasDescription = getConfig ? std::string(getConfig()) : std::string(name);
    return;
  }
}

napi_value throwError(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

/** The heap's base address (args[0]) and the rest of the arguments as doubles. */
template <size_t N>
bool readArgs(napi_env env, napi_callback_info info, uint8_t** heap, size_t* heapBytes, double (&values)[N]) {
  napi_value args[N + 1];
  size_t argc = N + 1;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc != N + 1) {
    throwError(env, "azr_native: wrong number of arguments");
    return false;
  }
  void* data = nullptr;
  if (napi_get_arraybuffer_info(env, args[0], &data, heapBytes) != napi_ok) {
    throwError(env, "azr_native: the first argument must be the wasm heap's ArrayBuffer");
    return false;
  }
  *heap = static_cast<uint8_t*>(data);
  for (size_t i = 0; i < N; i++) {
    if (napi_get_value_double(env, args[i + 1], &values[i]) != napi_ok) {
      throwError(env, "azr_native: arguments after the heap must be numbers");
      return false;
    }
  }
  return true;
}

bool inHeap(size_t heapBytes, double offset, double floats) {
  return offset >= 0 && offset + floats * 4 <= static_cast<double>(heapBytes);
}

// sgemm(heap, batch, m, n, k, transA, transB, aOffset, aBatchStride, bOffset, bBatchStride, cOffset)
// C[i] = op(A[i]) @ op(B[i]) for i < batch; offsets in bytes, batch strides in floats (0 = one matrix for all).
napi_value Sgemm(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[11];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  if (!sgemm) return throwError(env, "azr_native: no BLAS loaded");
  const int batch = static_cast<int>(v[0]), m = static_cast<int>(v[1]), n = static_cast<int>(v[2]),
            k = static_cast<int>(v[3]);
  const bool transA = v[4] != 0, transB = v[5] != 0;
  const double aStride = v[7], bStride = v[9];
  if (!inHeap(heapBytes, v[6], aStride * (batch - 1) + double(m) * k) ||
      !inHeap(heapBytes, v[8], bStride * (batch - 1) + double(k) * n) ||
      !inHeap(heapBytes, v[10], double(batch) * m * n))
    return throwError(env, "azr_native: sgemm operands outside the heap");
  const float* a = reinterpret_cast<const float*>(heap + static_cast<size_t>(v[6]));
  const float* b = reinterpret_cast<const float*>(heap + static_cast<size_t>(v[8]));
  float* c = reinterpret_cast<float*>(heap + static_cast<size_t>(v[10]));
  const int lda = transA ? m : k, ldb = transB ? k : n;
  for (int i = 0; i < batch; i++) {
    sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
          a + static_cast<size_t>(aStride) * i, lda, b + static_cast<size_t>(bStride) * i, ldb, 0.0f,
          c + static_cast<size_t>(m) * n * i, n);
  }
  return nullptr;
}

// Hot loops are compiled for AVX-512, AVX2 and plain x86-64; the loader picks the best the CPU has, so the binary
// does not depend on the build machine's CPU.
#if defined(__x86_64__)
#define MULTIVERSIONED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSIONED
#endif

/**
 * e^x for softmax (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial in r, 2^n from the exponent bits), plain
 * arithmetic so loops over it vectorize; relative error ~1e-7. Exactly 0 below -80 (masked positions; e^-80 is
 * ~1e-35 of the row's largest term): no denormals, which would make every later product on them slow.
 */
inline float softmaxExp(float x) {
  const float kept = x < -80.0f ? 0.0f : 1.0f;
  x = x < -80.0f ? -80.0f : x > 88.0f ? 88.0f : x;
  const float fx = x * 1.44269504088896341f;
  int n = static_cast<int>(fx);
  n -= static_cast<float>(n) > fx;  // floor
  const float nf = static_cast<float>(n);
  const float r = x - nf * 0.693359375f + nf * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  int32_t bits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale * kept;
}

void gemm(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
          size_t ldb, float beta, float* c, size_t ldc);
void softmaxRows(float* rows, const float* mask, size_t count, size_t width);

// softmax(query·keys + mask)·values for one query over `length` cache rows; keys are stored transposed
// ([headDim, capacity]) so every loop runs over contiguous memory without horizontal sums.
MULTIVERSIONED void attendRow(const float* query, const float* keysT, const float* values, const float* mask,
                              size_t length, size_t capacity, size_t hd, float* scores, float* out) {
#pragma omp simd
  for (size_t j = 0; j < length; j++) scores[j] = mask[j];
  for (size_t d = 0; d < hd; d++) {
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
  for (size_t j = 0; j < length; j++) sum += scores[j] = softmaxExp(scores[j] - max);
  const float scale = 1 / sum;
  for (size_t d = 0; d < hd; d++) out[d] = 0;
  for (size_t j = 0; j < length; j++) {
    const float p = scores[j] * scale;
#pragma omp simd
    for (size_t d = 0; d < hd; d++) out[d] += p * values[j * hd + d];
  }
}

// attendCached(heap, batch, steps, heads, kvHeads, headDim, capacity, at,
//              qOffset, kNewOffset, vNewOffset, kCacheOffset, vCacheOffset, maskOffset, outOffset)
// Decoding attention over a preallocated cache, in two parts. First the new keys and values ([batch, steps, kvHeads,
// headDim]) are written in place at rows at..at+steps of the caches: keys transposed ([batch, kvHeads, headDim,
// capacity]), values as they are ([batch, kvHeads, capacity, headDim]). Then for every query ([batch, steps, heads,
// headDim], already scaled) softmax(q·K + mask)·V over the first at+steps rows of its kv head, with the additive
// mask [batch, steps, at+steps]; the output has the queries' layout.
napi_value AttendCached(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[14];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  const size_t batch = v[0], steps = v[1], heads = v[2], kvHeads = v[3], hd = v[4], capacity = v[5], at = v[6];
  const size_t length = at + steps, group = heads / kvHeads;
  if (length > capacity || heads % kvHeads != 0 || !inHeap(heapBytes, v[7], double(batch) * steps * heads * hd) ||
      !inHeap(heapBytes, v[8], double(batch) * steps * kvHeads * hd) ||
      !inHeap(heapBytes, v[9], double(batch) * steps * kvHeads * hd) ||
      !inHeap(heapBytes, v[10], double(batch) * kvHeads * capacity * hd) ||
      !inHeap(heapBytes, v[11], double(batch) * kvHeads * capacity * hd) ||
      !inHeap(heapBytes, v[12], double(batch) * steps * length) ||
      !inHeap(heapBytes, v[13], double(batch) * steps * heads * hd))
    return throwError(env, "azr_native: attendCached operands outside the heap");
  auto f = [&](double offset) { return reinterpret_cast<float*>(heap + static_cast<size_t>(offset)); };
  const float *q = f(v[7]), *kNew = f(v[8]), *vNew = f(v[9]), *mask = f(v[12]);
  float *kCache = f(v[10]), *vCache = f(v[11]), *out = f(v[13]);
  for (size_t b = 0; b < batch; b++)
    for (size_t t = 0; t < steps; t++)
      for (size_t g = 0; g < kvHeads; g++) {
        const size_t src = ((b * steps + t) * kvHeads + g) * hd, block = (b * kvHeads + g) * capacity * hd;
        for (size_t d = 0; d < hd; d++) kCache[block + d * capacity + at + t] = kNew[src + d];
        std::memcpy(vCache + block + (at + t) * hd, vNew + src, hd * sizeof(float));
      }
  if (steps > 1 && sgemm) {
    // A prompt: per head, two products through the BLAS (as `attention` does) instead of one row at a time.
    std::vector<float> scores(steps * length);
    const size_t qRow = heads * hd;
    for (size_t b = 0; b < batch; b++)
      for (size_t head = 0; head < heads; head++) {
        const size_t block = (b * kvHeads + head / group) * capacity * hd;
        gemm(false, false, steps, length, hd, q + b * steps * qRow + head * hd, qRow, kCache + block, capacity, 0,
             scores.data(), length);
        softmaxRows(scores.data(), mask + b * steps * length, steps, length);
        gemm(false, false, steps, hd, length, scores.data(), length, vCache + block, hd, 0,
             out + b * steps * qRow + head * hd, qRow);
      }
    return nullptr;
  }
  std::vector<float> scores(length);
  for (size_t b = 0; b < batch; b++)
    for (size_t t = 0; t < steps; t++)
      for (size_t head = 0; head < heads; head++) {
        const size_t block = (b * kvHeads + head / group) * capacity * hd, row = (b * steps + t) * heads + head;
        attendRow(q + row * hd, kCache + block, vCache + block, mask + (b * steps + t) * length, length, capacity, hd,
                  scores.data(), out + row * hd);
      }
  return nullptr;
}

/** Row-major C = alpha·op(A)·op(B) + beta·C with explicit leading dimensions. */
void gemm(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
          size_t ldb, float beta, float* c, size_t ldc) {
  sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
        1.0f, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

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
    for (size_t j = 0; j < width; j++) sum += row[j] = softmaxExp(row[j] - max);
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

// attention(heap, batch, seq, heads, kvHeads, headDim, maskBatchStride, qOffset, kOffset, vOffset, maskOffset,
//           probsOffset, outOffset)
// Training-path attention without transposes: q [batch, seq, heads, hd] (already scaled), k and v [batch, seq,
// kvHeads, hd], the additive mask [seq, seq] per batch row (stride 0 to share one); writes the probabilities
// [batch, heads, seq, seq] (the backward pass needs them) and the output [batch, seq, heads, hd].
napi_value Attention(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[12];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  if (!sgemm) return throwError(env, "azr_native: no BLAS loaded");
  const size_t batch = v[0], seq = v[1], heads = v[2], kvHeads = v[3], hd = v[4], maskStride = v[5];
  const size_t group = heads / kvHeads, qRow = heads * hd, kvRow = kvHeads * hd;
  if (heads % kvHeads != 0 || !inHeap(heapBytes, v[6], double(batch) * seq * qRow) ||
      !inHeap(heapBytes, v[7], double(batch) * seq * kvRow) || !inHeap(heapBytes, v[8], double(batch) * seq * kvRow) ||
      !inHeap(heapBytes, v[9], double(maskStride) * (batch - 1) + double(seq) * seq) ||
      !inHeap(heapBytes, v[10], double(batch) * heads * seq * seq) ||
      !inHeap(heapBytes, v[11], double(batch) * seq * qRow))
    return throwError(env, "azr_native: attention operands outside the heap");
  auto f = [&](double offset) { return reinterpret_cast<float*>(heap + static_cast<size_t>(offset)); };
  const float *q = f(v[6]), *k = f(v[7]), *val = f(v[8]), *mask = f(v[9]);
  float *probs = f(v[10]), *out = f(v[11]);
  for (size_t b = 0; b < batch; b++)
    for (size_t h = 0; h < heads; h++) {
      const size_t g = h / group;
      float* p = probs + (b * heads + h) * seq * seq;
      gemm(false, true, seq, seq, hd, q + b * seq * qRow + h * hd, qRow, k + b * seq * kvRow + g * hd, kvRow, 0, p,
           seq);
      softmaxRows(p, mask + b * maskStride, seq, seq);
      gemm(false, false, seq, hd, seq, p, seq, val + b * seq * kvRow + g * hd, kvRow, 0, out + b * seq * qRow + h * hd,
           qRow);
    }
  return nullptr;
}

// attentionGrad(heap, batch, seq, heads, kvHeads, headDim, qOffset, kOffset, vOffset, probsOffset, dOutOffset,
//               dqOffset, dkOffset, dvOffset): the gradients of `attention` for its output gradient dOut
// [batch, seq, heads, hd]; dq has q's layout, dk and dv k's (summed over the query heads that share a kv head).
napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[13];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  if (!sgemm) return throwError(env, "azr_native: no BLAS loaded");
  const size_t batch = v[0], seq = v[1], heads = v[2], kvHeads = v[3], hd = v[4];
  const size_t group = heads / kvHeads, qRow = heads * hd, kvRow = kvHeads * hd;
  const double qSize = double(batch) * seq * qRow, kvSize = double(batch) * seq * kvRow;
  if (heads % kvHeads != 0 || !inHeap(heapBytes, v[5], qSize) || !inHeap(heapBytes, v[6], kvSize) ||
      !inHeap(heapBytes, v[7], kvSize) || !inHeap(heapBytes, v[8], double(batch) * heads * seq * seq) ||
      !inHeap(heapBytes, v[9], qSize) || !inHeap(heapBytes, v[10], qSize) || !inHeap(heapBytes, v[11], kvSize) ||
      !inHeap(heapBytes, v[12], kvSize))
    return throwError(env, "azr_native: attentionGrad operands outside the heap");
  auto f = [&](double offset) { return reinterpret_cast<float*>(heap + static_cast<size_t>(offset)); };
  const float *q = f(v[5]), *k = f(v[6]), *val = f(v[7]), *probs = f(v[8]), *dOut = f(v[9]);
  float *dq = f(v[10]), *dk = f(v[11]), *dv = f(v[12]);
  std::vector<float> dP(seq * seq);
  for (size_t b = 0; b < batch; b++)
    for (size_t h = 0; h < heads; h++) {
      const size_t g = h / group;
      const float* p = probs + (b * heads + h) * seq * seq;
      const float* dO = dOut + b * seq * qRow + h * hd;
      const float* kB = k + b * seq * kvRow + g * hd;
      const float* vB = val + b * seq * kvRow + g * hd;
      const float* qB = q + b * seq * qRow + h * hd;
      const float accumulate = h % group == 0 ? 0.0f : 1.0f;  // the first query head of a group initialises dk, dv
      gemm(true, false, seq, hd, seq, p, seq, dO, qRow, accumulate, dv + b * seq * kvRow + g * hd, kvRow);
      gemm(false, true, seq, seq, hd, dO, qRow, vB, kvRow, 0, dP.data(), seq);
      softmaxBackwardRows(dP.data(), p, seq, seq);
      gemm(false, false, seq, hd, seq, dP.data(), seq, kB, kvRow, 0, dq + b * seq * qRow + h * hd, qRow);
      gemm(true, false, seq, hd, seq, dP.data(), seq, qB, qRow, accumulate, dk + b * seq * kvRow + g * hd, kvRow);
    }
  return nullptr;
}

MULTIVERSIONED void swigluRows(const float* gateUp, float* out, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; r++) {
    const float *gate = gateUp + r * 2 * width, *up = gate + width;
    float* o = out + r * width;
#pragma omp simd
    for (size_t j = 0; j < width; j++) o[j] = gate[j] / (1.0f + softmaxExp(-gate[j])) * up[j];
  }
}

MULTIVERSIONED void swigluGradRows(const float* gateUp, const float* dy, float* dGateUp, size_t rows, size_t width) {
  for (size_t r = 0; r < rows; r++) {
    const float *gate = gateUp + r * 2 * width, *up = gate + width, *d = dy + r * width;
    float *dGate = dGateUp + r * 2 * width, *dUp = dGate + width;
#pragma omp simd
    for (size_t j = 0; j < width; j++) {
      const float sigmoid = 1.0f / (1.0f + softmaxExp(-gate[j]));
      dUp[j] = d[j] * gate[j] * sigmoid;
      dGate[j] = d[j] * up[j] * sigmoid * (1.0f + gate[j] * (1.0f - sigmoid));
    }
  }
}

// swiglu(heap, rows, width, gateUpOffset, outOffset): silu(gate)·up for gateUp [rows, 2·width] = [gate | up].
napi_value Swiglu(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[4];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  const size_t rows = v[0], width = v[1];
  if (!inHeap(heapBytes, v[2], 2.0 * rows * width) || !inHeap(heapBytes, v[3], double(rows) * width))
    return throwError(env, "azr_native: swiglu operands outside the heap");
  swigluRows(reinterpret_cast<const float*>(heap + size_t(v[2])), reinterpret_cast<float*>(heap + size_t(v[3])), rows,
             width);
  return nullptr;
}

// swigluGrad(heap, rows, width, gateUpOffset, dyOffset, dGateUpOffset): the gradient for gateUp, same layout.
napi_value SwigluGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[5];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  const size_t rows = v[0], width = v[1];
  if (!inHeap(heapBytes, v[2], 2.0 * rows * width) || !inHeap(heapBytes, v[3], double(rows) * width) ||
      !inHeap(heapBytes, v[4], 2.0 * rows * width))
    return throwError(env, "azr_native: swigluGrad operands outside the heap");
  swigluGradRows(reinterpret_cast<const float*>(heap + size_t(v[2])), reinterpret_cast<const float*>(heap + size_t(v[3])),
                 reinterpret_cast<float*>(heap + size_t(v[4])), rows, width);
  return nullptr;
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

// rmsNorm(heap, rows, width, eps, xOffset, weightOffset, outOffset): x / sqrt(mean(x²) + eps) · weight per row.
napi_value RmsNorm(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[6];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  const size_t rows = v[0], width = v[1];
  const double size = double(rows) * width;
  if (!inHeap(heapBytes, v[3], size) || !inHeap(heapBytes, v[4], double(width)) || !inHeap(heapBytes, v[5], size))
    return throwError(env, "azr_native: rmsNorm operands outside the heap");
  auto f = [&](double offset) { return reinterpret_cast<float*>(heap + static_cast<size_t>(offset)); };
  rmsNormRows(f(v[3]), f(v[4]), f(v[5]), rows, width, float(v[2]));
  return nullptr;
}

// rmsNormGrad(heap, rows, width, eps, xOffset, weightOffset, dyOffset, dxOffset, dWeightOffset)
napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heapBytes;
  double v[8];
  if (!readArgs(env, info, &heap, &heapBytes, v)) return nullptr;
  const size_t rows = v[0], width = v[1];
  const double size = double(rows) * width;
  if (!inHeap(heapBytes, v[3], size) || !inHeap(heapBytes, v[4], double(width)) || !inHeap(heapBytes, v[5], size) ||
      !inHeap(heapBytes, v[6], size) || !inHeap(heapBytes, v[7], double(width)))
    return throwError(env, "azr_native: rmsNormGrad operands outside the heap");
  auto f = [&](double offset) { return reinterpret_cast<float*>(heap + static_cast<size_t>(offset)); };
  rmsNormGradRows(f(v[3]), f(v[4]), f(v[5]), f(v[6]), f(v[7]), rows, width, float(v[2]));
  return nullptr;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value result, blas, error;
  napi_create_object(env, &result);
  napi_get_boolean(env, sgemm != nullptr, &blas);
  napi_set_named_property(env, result, "blasLoaded", blas);
  napi_create_string_utf8(env, sgemm ? blasDescription.c_str() : loadError.c_str(), NAPI_AUTO_LENGTH, &error);
  napi_set_named_property(env, result, sgemm ? "blas" : "error", error);
  return result;
}

}  // namespace

NAPI_MODULE_INIT() {
  if (!sgemm) loadBlas();
  napi_property_descriptor properties[] = {
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attendCached", nullptr, AttendCached, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attention", nullptr, Attention, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attentionGrad", nullptr, AttentionGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"swiglu", nullptr, Swiglu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"swigluGrad", nullptr, SwigluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNorm", nullptr, RmsNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNormGrad", nullptr, RmsNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
