// Shared by the native kernels (see blas.cc for how they reach the wasm heap). Every kernel takes the wasm heap's
// ArrayBuffer, then numbers: sizes, byte offsets into the heap (read by the caller after it allocated the outputs,
// because memory growth replaces the buffer) and strides in floats.
#pragma once
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

// Hot loops are compiled for AVX-512, AVX2 and plain x86-64; the loader picks the best the CPU has, so the binary
// does not depend on the build machine's CPU.
#if defined(__x86_64__)
#define MULTIVERSIONED __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSIONED
#endif

napi_value throwError(napi_env env, const char* message);
bool blasLoaded();

/** Row-major C = op(A)·op(B) + beta·C through the BLAS, with explicit leading dimensions. */
void gemm(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
          size_t ldb, float beta, float* c, size_t ldc);

/** Whether bfloat16 products on AMX (amx.cc) can run here: the CPU has them and the kernel lets this process. */
bool amxAvailable();

/** C = op(A)·op(B) (+ C when `accumulate`), A and B rounded to bfloat16 and float32 sums, on AMX. */
void gemmBf16(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
              size_t ldb, bool accumulate, float* c, size_t ldc);

/** Whether this thread's products are bfloat16 (`setProducts`). */
bool bfloat16Products();

/**
 * C = op(A)·op(B) + beta·C (beta 0 or 1) in this thread's precision (`setProducts`): bfloat16 operands on AMX, or
 * float32 through the BLAS. The attention kernels' products go through it, as the layers' do through `sgemm`.
 */
void product(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float beta, float* c, size_t ldc);

/** The call's arguments: the heap (its base and size), then N numbers. False (with a JS error thrown) if malformed. */
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

/** Whether `floats` floats at byte `offset` lie inside the heap. */
inline bool inHeap(size_t heapBytes, double offset, double floats) {
  return offset >= 0 && offset + floats * 4 <= static_cast<double>(heapBytes);
}

inline float* floatsAt(uint8_t* heap, double offset) {
  return reinterpret_cast<float*>(heap + static_cast<size_t>(offset));
}

/**
 * The wasm heap as one kernel call sees it. A kernel takes each operand by its byte offset and size; one outside
 * the heap (or a size check that fails) is remembered, and the kernel then runs on none of them.
 */
class Heap {
 public:
  /** Returned by `run` and `checked` when an operand missed: the call throws "<kernel> operands outside the heap". */
  static constexpr const char* kOutside = "outside";
  uint8_t* base = nullptr;
  size_t bytes = 0;

  /** `count` floats at byte `offset`, or null (and the call fails) if they do not all lie inside the heap. */
  float* floats(double offset, double count) {
    if (inHeap(bytes, offset, count)) return floatsAt(base, offset);
    missed_ = true;
    return nullptr;
  }
  /** `count` int32s at byte `offset`, checked the same way. */
  const int32_t* ints(double offset, double count) { return reinterpret_cast<const int32_t*>(floats(offset, count)); }
  /** A shape the operands must have (e.g. heads divisible by kvHeads); false fails the call like a miss. */
  void require(bool holds) { missed_ = missed_ || !holds; }
  /** kOutside if an operand missed, else null: a kernel's body returns it before touching the operands. */
  const char* checked() const { return missed_ ? kOutside : nullptr; }
  /** Runs `kernel(args...)` unless an operand missed; returns what `checked` would. */
  template <typename Kernel, typename... Args>
  const char* run(Kernel kernel, Args... args) const {
    if (missed_) return kOutside;
    kernel(args...);
    return nullptr;
  }

 private:
  bool missed_ = false;
};

/**
 * A kernel's entry point: reads the heap and N numbers (readArgs), then `body(heap, numbers)`, which takes its
 * operands from the heap and returns null when done, Heap::kOutside when an operand missed, or another message.
 * Either error becomes a JS error ("azr_native: NAME operands outside the heap", "azr_native: no BLAS loaded").
 */
template <size_t N, typename Body>
napi_value kernelCall(napi_env env, napi_callback_info info, const char* name, Body body) {
  Heap heap;
  double v[N];
  if (!readArgs(env, info, &heap.base, &heap.bytes, v)) return nullptr;
  const char* error = body(heap, static_cast<const double*>(v));
  if (error == Heap::kOutside) {
    const std::string message = std::string("azr_native: ") + name + " operands outside the heap";
    return throwError(env, message.c_str());
  }
  return error ? throwError(env, error) : nullptr;
}

/**
 * e^x for softmax and sigmoid (Cephes' expf: x = n·ln2 + r, a degree-6 polynomial in r, 2^n from the exponent bits),
 * plain arithmetic so loops over it vectorize (std::exp does not without fast-math); relative error ~1e-7. Exactly 0
 * below -80 (masked positions; e^-80 is ~1e-35 of a row's largest term): no denormals, which slow every later product.
 */
inline float fastExp(float x) {
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

// The kernels, registered by blas.cc's module init.
using Kernel = napi_value(napi_env env, napi_callback_info info);
Kernel Sgemm, AttendCached, AttendPlaced, Attention, AttentionGrad, Swiglu, SwigluGrad, RmsNorm, RmsNormGrad, RopeQkv, RopeQkvGrad,
    TokenLogprobs, TokenLogprobsGrad;
