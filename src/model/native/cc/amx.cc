// bfloat16 products on Intel AMX (Sapphire Rapids and later): C = op(A)·op(B) with A and B rounded to
// bfloat16 (round to nearest even) and the sums kept in float32, as mixed-precision training does it. Both operands
// are packed per call: op(A) as 32-row blocks of bfloat16 rows, op(B) in the pair-interleaved ("VNNI") layout the
// tile multiply reads, both padded with zeros to whole tiles. Each row of C is computed alone, in the same order
// whatever rows come with it, so a batch split across replicas gets the rows the whole batch gets. Compiled for
// these instructions whatever the build machine; only called where `amxAvailable()` (CPUID plus the kernel's
// permission to use the tile registers, Linux ≥ 5.16).
#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,amx-tile,amx-bf16")
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "native.h"

namespace {
constexpr long ARCH_REQ_XCOMP_PERM = 0x1023;
constexpr int XFEATURE_XTILEDATA = 18;

struct TileConfig {
  uint8_t palette = 1, startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

inline size_t roundUp(size_t x, size_t to) { return (x + to - 1) / to * to; }

// 16 rows of 16 32-bit lanes, transposed in registers: pairs of lanes, pairs of pairs, then 128-bit quarters twice.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    const __m512d t0 = _mm512_castps_pd(t[4 * i]), t1 = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * i + 2]), t3 = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int i = 0; i < 2; i++) {
    for (int j = 0; j < 4; j++) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0x88);
      t[8 * i + 4 + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + 4 + j], 0xdd);
    }
  }
  for (int j = 0; j < 8; j++) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_shuffle_f32x4(t[j], t[8 + j], 0xdd);
  }
}

thread_local std::vector<uint16_t> packedA, packedB;
// Eight tiles of 16 rows × 64 bytes: C in 0–3 (a 32 × 32 block of floats), A in 4–5, B in 6–7. Loaded on every
// call: the configuration is the thread's, and anything else on it may have released or changed it.
void configureTiles() {
  TileConfig cfg;
  for (int t = 0; t < 8; t++) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
}

// op(A) as mp × kp bf16, row-major, zero padded.
void packA(bool trans, size_t m, size_t k, const float* a, size_t lda, size_t mp, size_t kp, uint16_t* out) {
  if (!trans) {
    for (size_t i = 0; i < m; i++) {
      const float* row = a + i * lda;
      uint16_t* o = out + i * kp;
      size_t kk = 0;
      for (; kk + 16 <= k; kk += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + kk),
                            (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(row + kk)));
      if (kk < k) {
        const __mmask16 mask = __mmask16((1u << (k - kk)) - 1);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + kk),
                            (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, row + kk)));
        kk += 16;
      }
      for (; kk < kp; kk += 16) _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + kk), _mm256_setzero_si256());
    }
  } else {
    // A stored k × m: 16 × 16 blocks of it, transposed in registers, become rows of out.
    for (size_t i0 = 0; i0 < m; i0 += 16) {
      const __mmask16 mask = m - i0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (m - i0)) - 1);
      for (size_t k0 = 0; k0 < kp; k0 += 16) {
        __m512 r[16];
        for (size_t q = 0; q < 16; q++)
          r[q] = k0 + q < k ? _mm512_maskz_loadu_ps(mask, a + (k0 + q) * lda + i0) : _mm512_setzero_ps();
        transpose16(r);
        for (size_t p = 0; p < 16; p++)
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + (i0 + p) * kp + k0),
                              (__m256i)_mm512_cvtneps_pbh(r[p]));
      }
    }
  }
  const size_t written = trans ? roundUp(m, 16) : m;  // the transposing path writes whole 16-row blocks
  std::memset(out + written * kp, 0, (mp - written) * kp * 2);
}

// op(B) in VNNI blocks of 16 columns: block j, pair p, column c, half h at ((j * kp/2 + p) * 16 + c) * 2 + h.
void packB(bool trans, size_t n, size_t k, const float* b, size_t ldb, size_t np, size_t kp, uint16_t* out) {
  std::memset(out, 0, np * kp * 2);
  const size_t pairs = kp / 2;
  if (!trans) {
    // cvtne2ps puts row 2p's 16 columns, then row 2p + 1's; the pair layout alternates them.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                                                22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (size_t j0 = 0; j0 < n; j0 += 16) {
      const __mmask16 mask = n - j0 >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - j0)) - 1);
      uint16_t* block = out + (j0 / 16) * pairs * 32;
      for (size_t p = 0; p < pairs && 2 * p < k; p++) {
        const __m512 lo = _mm512_maskz_loadu_ps(mask, b + 2 * p * ldb + j0);
        const __m512 hi =
            2 * p + 1 < k ? _mm512_maskz_loadu_ps(mask, b + (2 * p + 1) * ldb + j0) : _mm512_setzero_ps();
        const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
        _mm512_storeu_si512(block + p * 32, _mm512_permutexvar_epi16(interleave, both));
      }
    }
  } else {
    // B stored n × k: a column of op(B) is a row of b, whose bf16 pairs are 32-bit lanes; 16 columns' lanes,
    // transposed in registers, are 16 VNNI rows.
    for (size_t j0 = 0; j0 < n; j0 += 16) {
      uint16_t* block = out + (j0 / 16) * pairs * 32;
      for (size_t k0 = 0; k0 < kp; k0 += 32) {
        const __mmask16 lo = k <= k0 ? 0 : k - k0 >= 16 ? 0xffff : __mmask16((1u << (k - k0)) - 1);
        const __mmask16 hi = k <= k0 + 16 ? 0 : k - k0 - 16 >= 16 ? 0xffff : __mmask16((1u << (k - k0 - 16)) - 1);
        __m512 r[16];
        for (size_t q = 0; q < 16; q++) {
          const float* row = b + (j0 + q) * ldb + k0;
          r[q] = j0 + q < n ? (__m512)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, row + 16),
                                                          _mm512_maskz_loadu_ps(lo, row))
                            : _mm512_setzero_ps();
        }
        transpose16(r);
        for (size_t p = 0; p < 16; p++) _mm512_storeu_si512(block + (k0 / 2 + p) * 32, (__m512i)r[p]);
      }
    }
  }
}
}  // namespace

bool amxAvailable() {
  static const bool ok = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq"))
      return false;
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool amxBf16 = edx & (1u << 22), amxTile = edx & (1u << 24);
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
    const bool avx512bf16 = eax & (1u << 5);
    return amxBf16 && amxTile && avx512bf16 &&
           syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
  }();
  return ok;
}

void gemmBf16(bool transA, bool transB, size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
              size_t ldb, bool accumulate, float* c, size_t ldc) {
  configureTiles();
  const size_t mp = roundUp(m, 32), np = roundUp(n, 32), kp = roundUp(k, 32);
  if (packedA.size() < mp * kp) packedA.resize(mp * kp);
  if (packedB.size() < np * kp) packedB.resize(np * kp);
  packA(transA, m, k, a, lda, mp, kp, packedA.data());
  packB(transB, n, k, b, ldb, np, kp, packedB.data());
  const uint16_t* pa = packedA.data();
  const uint16_t* pb = packedB.data();
  const size_t pairs = kp / 2;
  alignas(64) float out[32 * 32];
  for (size_t i0 = 0; i0 < mp; i0 += 32) {
    const size_t rows = m - i0 < 32 ? m - i0 : 32;
    for (size_t j0 = 0; j0 < np; j0 += 32) {
      const size_t cols = n - j0 < 32 ? n - j0 : 32;
      // A whole block goes straight between the tiles and C; an edge block through `out`.
      const bool direct = rows == 32 && cols == 32;
      float* target = direct ? c + i0 * ldc + j0 : out;
      const size_t stride = direct ? ldc * 4 : 128;
      if (!accumulate) {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
      } else {
        if (!direct) {
          std::memset(out, 0, sizeof out);
          for (size_t r = 0; r < rows; r++) std::memcpy(out + r * 32, c + (i0 + r) * ldc + j0, cols * 4);
        }
        _tile_loadd(0, target, stride);
        _tile_loadd(1, target + 16, stride);
        _tile_loadd(2, target + 16 * (stride / 4), stride);
        _tile_loadd(3, target + 16 * (stride / 4) + 16, stride);
      }
      const uint16_t* b0 = pb + (j0 / 16) * pairs * 32;
      const uint16_t* b1 = b0 + pairs * 32;
      for (size_t kk = 0; kk < kp; kk += 32) {
        _tile_loadd(4, pa + i0 * kp + kk, kp * 2);
        _tile_loadd(5, pa + (i0 + 16) * kp + kk, kp * 2);
        _tile_loadd(6, b0 + (kk / 2) * 32, 64);
        _tile_loadd(7, b1 + (kk / 2) * 32, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
      }
      _tile_stored(0, target, stride);
      _tile_stored(1, target + 16, stride);
      _tile_stored(2, target + 16 * (stride / 4), stride);
      _tile_stored(3, target + 16 * (stride / 4) + 16, stride);
      if (!direct)
        for (size_t r = 0; r < rows; r++) std::memcpy(c + (i0 + r) * ldc + j0, out + r * 32, cols * 4);
    }
  }
}
#pragma GCC pop_options
#else
#include "native.h"
bool amxAvailable() { return false; }
void gemmBf16(bool, bool, size_t, size_t, size_t, const float*, size_t, const float*, size_t, bool, float*, size_t) {}
#endif
