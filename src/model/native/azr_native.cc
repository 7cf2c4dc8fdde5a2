// Native kernels for the wasm backend: products through the system BLAS (OpenBLAS), computed in place on the wasm
// heap. The heap is a plain (non-shared) ArrayBuffer, so N-API hands us its address; every offset below is a byte
// offset into it that the caller took from the backend's data map *after* allocating the output (memory growth
// replaces the buffer). The BLAS is opened with dlopen at load time: no BLAS headers or link flags at build time.
#include <dlfcn.h>
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <string>

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
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
