/*
 * cuda_int.h: what the .cu files of kernels/ share: FL_CUDA_CHECK, the
 * recorded first failure, the launch shape of the elementwise kernels,
 * the cuBLAS handle and a device scratch area for reductions.  Private
 * to kernels/ (runtime.cu defines them).
 */
#ifndef FL_CUDA_INT_H
#define FL_CUDA_INT_H

#include <cuda_runtime.h>
#include <cublas_v2.h>

#include "fl_cuda.h"

/* Threads per block of every elementwise kernel, and the most blocks of
 * a grid-stride launch. */
#define FL_CUDA_THREADS 256
#define FL_CUDA_MAX_BLOCKS 4096

/* Record a failure of call (its text, file and line) unless one is
 * recorded; returns 1 when bad, so that "if (FL_CUDA_CHECK(x)) return;"
 * reads. */
#define FL_CUDA_CHECK(call) \
	fl_cuda_check_((call), #call, __FILE__, __LINE__)
int	fl_cuda_check_(cudaError_t rc, const char *call, const char *file,
	    int line);
int	fl_cublas_check_(cublasStatus_t rc, const char *call,
	    const char *file, int line);
#define FL_CUBLAS_CHECK(call) \
	fl_cublas_check_((call), #call, __FILE__, __LINE__)
/* Record a failure described by text (a size over a limit, ...). */
void	fl_cuda_fail_(const char *text, const char *file, int line);
/* 1 when a failure is recorded: the ops then do nothing. */
int	fl_cuda_failed_(void);
/* The launch's check: the launch itself, then nothing more (the next
 * copy to the host synchronises and reports asynchronous faults). */
#define FL_CUDA_LAUNCHED() FL_CUDA_CHECK(cudaGetLastError())

/* The cuBLAS handle (fl_cuda_init made it). */
cublasHandle_t fl_cublas_handle_(void);
/* A device scratch area of at least bytes, kept and grown between calls;
 * NULL (with the failure recorded) when out of memory. */
void	*fl_cuda_scratch_(size_t bytes);

/* im2col.cu: the columns of the convolution s over X into col (n, c k
 * k, oh ow), zero where the window leaves the image (im2col). */
void	fl_cuda_im2col_(const struct fl_cuda_conv *s, const float *X,
	    float *col);

/* Blocks for n elements at FL_CUDA_THREADS each, at most
 * FL_CUDA_MAX_BLOCKS (the kernels loop over a grid stride). */
static inline unsigned
fl_cuda_blocks(size_t n)
{
	size_t b = (n + FL_CUDA_THREADS - 1) / FL_CUDA_THREADS;

	return (unsigned)(b == 0 ? 1 : b > FL_CUDA_MAX_BLOCKS ?
	    FL_CUDA_MAX_BLOCKS : b);
}

#endif /* FL_CUDA_INT_H */
