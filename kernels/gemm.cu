/*
 * gemm.cu: C = alpha * op(A) op(B) + beta * C, row-major, op(A) (m, k),
 * op(B) (k, n), C (m, n), with leading dimensions lda, ldb, ldc; mirrors
 * fl_ref_gemm (lib/compute/ref.c).  cuBLAS is column-major, where a
 * row-major matrix reads as its transpose, so the call computes C^T =
 * op(B)^T op(A)^T: cublasSgemm(op(B), op(A), n, m, k, B, A).  FP32
 * throughout (CUBLAS_PEDANTIC_MATH: no TF32).  Launch: cuBLAS's own.
 */
#include <limits.h>

#include "cuda_int.h"

extern "C" void
fl_cuda_gemm(int transa, int transb, size_t m, size_t n, size_t k,
    float alpha, const float *A, size_t lda, const float *B, size_t ldb,
    float beta, float *C, size_t ldc)
{
	if (m == 0 || n == 0 || fl_cuda_failed_())
		return;
	if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX ||
	    ldb > INT_MAX || ldc > INT_MAX) {
		fl_cuda_fail_("gemm: a dimension over INT_MAX", __FILE__,
		    __LINE__);
		return;
	}
	FL_CUBLAS_CHECK(cublasSgemm(fl_cublas_handle_(),
	    transb ? CUBLAS_OP_T : CUBLAS_OP_N,
	    transa ? CUBLAS_OP_T : CUBLAS_OP_N, (int)n, (int)m, (int)k,
	    &alpha, B, (int)ldb, A, (int)lda, &beta, C, (int)ldc));
}
