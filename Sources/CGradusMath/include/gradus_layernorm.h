#ifndef GRADUS_LAYERNORM_H
#define GRADUS_LAYERNORM_H

// The row loops of layer normalization (Functional.layerNorm) over `rows` contiguous rows of `n`
// values: the forward pass normalizes each row by its mean and biased variance and keeps both
// statistics for the backward pass, which writes the input gradient row by row and accumulates the
// weight and bias gradients. Sums run in 16 lanes of the element type over one row (rows are short:
// the model width), then in double; AVX2+FMA copies where the processor has them.

#ifdef __cplusplus
extern "C" {
#endif

/// For each row: mean[r] = μ, rstd[r] = 1/√(σ² + eps) with σ² the biased variance (computed about the
/// mean, in double when Float32 squares overflow), y = (x − μ)·rstd·gamma + beta (gamma and beta of n
/// values, each may be NULL).
void gradus_layernorm_forward_f32(const float *x, const float *gamma, const float *beta, long rows, long n, double eps,
                                  float *y, float *mean, float *rstd);
void gradus_layernorm_forward_f64(const double *x, const double *gamma, const double *beta, long rows, long n, double eps,
                                  double *y, double *mean, double *rstd);

/// For each row, with x̂ = (x − mean)·rstd and d = dy·gamma (dy where gamma is NULL):
/// dx = rstd·(d − Σd/n − x̂·Σ(d·x̂)/n) (dx may be NULL); dgamma[j] += dy·x̂ and dbeta[j] += dy over the
/// rows, in double (each may be NULL).
void gradus_layernorm_backward_f32(const float *dy, const float *x, const float *mean, const float *rstd,
                                   const float *gamma, long rows, long n, float *dx, double *dgamma, double *dbeta);
void gradus_layernorm_backward_f64(const double *dy, const double *x, const double *mean, const double *rstd,
                                   const double *gamma, long rows, long n, double *dx, double *dgamma, double *dbeta);

#ifdef __cplusplus
}
#endif

#endif
