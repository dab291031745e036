// The pieces of 2×2 max pooling (stride 2) shared by gradus_pooling.c and gradus_batchnorm_pool.c: the
// winner rule, and for their AVX-512 copies the lane permutations, the masks of a row's last block and
// the winner of 16 windows at a time.
#ifndef GRADUS_POOL2X2_WINDOWS_H
#define GRADUS_POOL2X2_WINDOWS_H

// The winner rule of PyTorch's CPU kernel, branch-free: v takes the place of the best so far when it is
// larger or NaN, so the first largest element wins, or the last NaN of a window that has one.
#define POOL_TAKES(v, best) (((v) > (best)) | ((v) != (v)))

#if defined(__x86_64__)
#include <immintrin.h>

// Blocks of 16 windows of a row pair: each row's 32 columns as two vectors (lo, hi), separated into even
// and odd columns by a permutation of the pair. Lane i of a window block: the column 2i of its window.
#define POOL2X2_EVEN_LANES _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
// The inverse (backward): interleaving the even-column vector e and the odd-column vector o of a block,
// permutex2var(e, POOL2X2_FIRST_COLUMNS, o) gives the first 16 columns, POOL2X2_SECOND_COLUMNS the next.
#define POOL2X2_FIRST_COLUMNS _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define POOL2X2_SECOND_COLUMNS _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)

// The masks of the first and second 16 columns of a block of `n` ≤ 16 windows (2n columns).
static inline __mmask16 pool2x2_low_mask(long n) { return (__mmask16)(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1); }
static inline __mmask16 pool2x2_high_mask(long n) { return (__mmask16)(n <= 8 ? 0 : (1u << (2 * n - 16)) - 1); }

// The winner of 16 windows whose corners are a (top left), b (top right), c (bottom left) and d (bottom
// right), by POOL_TAKES in that (PyTorch's) order: its value, and its place 0-3 in *place.
__attribute__((target("avx512f"), always_inline))
static inline __m512 pool2x2_winner(__m512 a, __m512 b, __m512 c, __m512 d, __m512i *place) {
    __m512 best = a;
    __m512i at = _mm512_setzero_si512();
    __mmask16 t = _mm512_cmp_ps_mask(b, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
    best = _mm512_mask_mov_ps(best, t, b);
    at = _mm512_mask_mov_epi32(at, t, _mm512_set1_epi32(1));
    t = _mm512_cmp_ps_mask(c, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q);
    best = _mm512_mask_mov_ps(best, t, c);
    at = _mm512_mask_mov_epi32(at, t, _mm512_set1_epi32(2));
    t = _mm512_cmp_ps_mask(d, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
    best = _mm512_mask_mov_ps(best, t, d);
    *place = _mm512_mask_mov_epi32(at, t, _mm512_set1_epi32(3));
    return best;
}
#endif

#endif
