// Native kernels for the wasm backend: products through the system BLAS (OpenBLAS), computed in place on the wasm
// heap. The heap is a plain (non-shared) ArrayBuffer, so N-API hands us its address; every offset is a byte offset
// into it that the caller took from the backend's data map *after* allocating the outputs (memory growth replaces
// the buffer). The BLAS is opened with dlopen at load time: no BLAS headers or link flags at build time.
#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <strings.h>

#include "native.h"

namespace {

enum CblasOrder { CblasRowMajor = 101 };
enum CblasTranspose { CblasNoTrans = 111, CblasTrans = 112 };
using SgemmFn = void (*)(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a,
                         int lda, const float* b, int ldb, float beta, float* c, int ldc);
using SetThreadsFn = void (*)(int);
using GetConfigFn = const char* (*)();

SgemmFn sgemm = nullptr;
// Per thread, as tfjs's backend is: products through `sgemm` (float32) or `gemmBf16` (bfloat16 on AMX).
thread_local bool bf16Products = false;
std::string blasDescription;
std::string loadError;

void loadBlas() {
  // One BLAS thread: on a small machine a second one competes with the JS thread and was measured slower, and
  // generation replicas on worker threads each want a core of their own. An OpenMP build of OpenBLAS (Debian's
  // libopenblas0-openmp) takes its thread count from OMP_NUM_THREADS when libgomp starts, and
  // openblas_set_num_threads does not reach calls from other threads: both variables are set before the dlopen.
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  setenv("OMP_NUM_THREADS", "1", 0);
#if defined(__x86_64__)
  // The sgemm kernels OpenBLAS uses on AVX2 machines (Haswell's, also for every Zen) compute a row of a product
  // differently by its place in the kernel's 12-row tile: a row's result depended on the rows asked for before it,
  // and a batch split across generation replicas no longer sampled bit for bit what the whole batch does
  // (docs/distributed.md, "Scaling generation"). SkylakeX's kernels (any AVX-512 machine; 1.7× Haswell's on an
  // AVX-512 Zen, which 0.3.21 does not recognise) and Sandybridge's (~13 % slower than Haswell's) do not, measured
  // over every row count and offset up to 96. So those two replace Haswell and Zen, whether OpenBLAS would pick them
  // or the environment names them (some machines set OPENBLAS_CORETYPE=Haswell for everything); another coretype
  // set in the environment is kept.
  const char* coretype = getenv("OPENBLAS_CORETYPE");
  if (!coretype || strcasecmp(coretype, "Haswell") == 0 || strcasecmp(coretype, "Zen") == 0) {
    __builtin_cpu_init();
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    if (avx512)
      setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    else if (__builtin_cpu_supports("avx"))
      setenv("OPENBLAS_CORETYPE", "Sandybridge", 1);
  }
#endif
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

napi_value Info(napi_env env, napi_callback_info) {
  napi_value result, blas, error, amx;
  napi_create_object(env, &result);
  napi_get_boolean(env, sgemm != nullptr, &blas);
  napi_set_named_property(env, result, "blasLoaded", blas);
  napi_get_boolean(env, amxAvailable(), &amx);
  napi_set_named_property(env, result, "amx", amx);
  napi_create_string_utf8(env, sgemm ? blasDescription.c_str() : loadError.c_str(), NAPI_AUTO_LENGTH, &error);
  napi_set_named_property(env, result, sgemm ? "blas" : "error", error);
  return result;
}

// setProducts(bfloat16: boolean) -> boolean: this thread's products from now on; true only if bfloat16 is on.
napi_value SetProducts(napi_env env, napi_callback_info info) {
  napi_value arg, result;
  size_t argc = 1;
  bool wanted = false;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr) != napi_ok || argc != 1 ||
      napi_get_value_bool(env, arg, &wanted) != napi_ok)
    return throwError(env, "azr_native: setProducts takes one boolean");
  bf16Products = wanted && amxAvailable();
  napi_get_boolean(env, bf16Products, &result);
  return result;
}

}  // namespace

napi_value throwError(napi_env env, const char* message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

bool blasLoaded() { return sgemm != nullptr; }

bool bfloat16Products() { return bf16Products; }

void gemm(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
          size_t ldb, float beta, float* c, size_t ldc) {
  sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, int(m), int(n), int(k),
        1.0f, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

void product(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
             size_t ldb, float beta, float* c, size_t ldc) {
  if (bf16Products && (beta == 0 || beta == 1))
    gemmBf16(transA, transB, m, n, k, a, lda, b, ldb, beta == 1, c, ldc);
  else
    gemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

// sgemm(heap, batch, m, n, k, transA, transB, aOffset, aBatchStride, bOffset, bBatchStride, cOffset)
// C[i] = op(A[i]) @ op(B[i]) for i < batch, row-major; a batch stride of 0 reuses one matrix for every i.
napi_value Sgemm(napi_env env, napi_callback_info info) {
  return kernelCall<11>(env, info, "sgemm", [](Heap& heap, const double* v) -> const char* {
    if (!sgemm) return "azr_native: no BLAS loaded";
    const size_t batch = v[0], m = v[1], n = v[2], k = v[3], aStride = v[7], bStride = v[9];
    const bool transA = v[4] != 0, transB = v[5] != 0;
    const float* a = heap.floats(v[6], double(aStride) * (batch - 1) + double(m) * k);
    const float* b = heap.floats(v[8], double(bStride) * (batch - 1) + double(k) * n);
    float* c = heap.floats(v[10], double(batch) * m * n);
    if (heap.checked()) return heap.checked();
    for (size_t i = 0; i < batch; i++) {
      const float *ai = a + aStride * i, *bi = b + bStride * i;
      float* ci = c + m * n * i;
      product(transA, transB, m, n, k, ai, transA ? m : k, bi, transB ? k : n, 0, ci, n);
    }
    return nullptr;
  });
}

NAPI_MODULE_INIT() {
  if (!sgemm) loadBlas();
  const struct {
    const char* name;
    napi_callback fn;
  } functions[] = {
      {"info", Info},
      {"sgemm", Sgemm},
      {"setProducts", SetProducts},
      {"attendCached", AttendCached},
      {"attendPlaced", AttendPlaced},
      {"attention", Attention},
      {"attentionGrad", AttentionGrad},
      {"swiglu", Swiglu},
      {"swigluGrad", SwigluGrad},
      {"rmsNorm", RmsNorm},
      {"rmsNormGrad", RmsNormGrad},
      {"ropeQkv", RopeQkv},
      {"ropeQkvGrad", RopeQkvGrad},
      {"tokenLogprobs", TokenLogprobs},
      {"tokenLogprobsGrad", TokenLogprobsGrad},
  };
  for (const auto& f : functions) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}
