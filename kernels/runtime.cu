/*
 * runtime.cu: the CUDA backend's device, buffers and errors: finding a
 * GPU (cudaGetDeviceCount), the one cuBLAS handle, cudaMalloc'd buffers
 * and the copies between host and device (struct fl_backend's alloc,
 * free, upload and download; the host backends' are in
 * lib/compute/backend.c), and the first failure kept for fl_cuda_error.
 * A process trains with one device and one thread, so the handle, the
 * scratch area and the recorded failure are process-wide.
 */
#include <stdio.h>
#include <string.h>

#include "cuda_int.h"

static cublasHandle_t handle;
static int ready;
static char failure[512];
static void *scratch;
static size_t scratch_size;

int
fl_cuda_check_(cudaError_t rc, const char *call, const char *file, int line)
{
	if (rc == cudaSuccess)
		return 0;
	if (failure[0] == '\0')
		snprintf(failure, sizeof(failure), "CUDA: %s: %s (%s:%d)",
		    call, cudaGetErrorString(rc), file, line);
	return 1;
}

int
fl_cublas_check_(cublasStatus_t rc, const char *call, const char *file,
    int line)
{
	if (rc == CUBLAS_STATUS_SUCCESS)
		return 0;
	if (failure[0] == '\0')
		snprintf(failure, sizeof(failure), "cuBLAS: %s: status %d "
		    "(%s:%d)", call, (int)rc, file, line);
	return 1;
}

void
fl_cuda_fail_(const char *text, const char *file, int line)
{
	if (failure[0] == '\0')
		snprintf(failure, sizeof(failure), "CUDA: %s (%s:%d)", text,
		    file, line);
}

int
fl_cuda_failed_(void)
{
	return failure[0] != '\0';
}

cublasHandle_t
fl_cublas_handle_(void)
{
	return handle;
}

/* The number of devices; 0 when the driver or the device is missing. */
int
fl_cuda_device_count(void)
{
	int n = 0;

	if (cudaGetDeviceCount(&n) != cudaSuccess) {
		(void)cudaGetLastError();	/* not sticky: clear it */
		return 0;
	}
	return n;
}

/* Ready the device and cuBLAS, once; see fl_cuda.h. */
int
fl_cuda_init(char *msg, size_t cap)
{
	cudaError_t rc;
	cublasStatus_t st;
	int n = 0;

	if (ready)
		return 0;
	if ((rc = cudaGetDeviceCount(&n)) != cudaSuccess || n == 0) {
		snprintf(msg, cap, "no CUDA GPU present (%s)",
		    rc != cudaSuccess ? cudaGetErrorString(rc) :
		    "cudaGetDeviceCount found 0 devices");
		(void)cudaGetLastError();
		return -1;
	}
	if ((rc = cudaSetDevice(0)) != cudaSuccess) {
		snprintf(msg, cap, "CUDA device 0: %s",
		    cudaGetErrorString(rc));
		return -1;
	}
	if ((st = cublasCreate(&handle)) != CUBLAS_STATUS_SUCCESS) {
		snprintf(msg, cap, "cuBLAS: cublasCreate: status %d",
		    (int)st);
		return -1;
	}
	/* Plain FP32 products: no TF32, whose 10-bit mantissas would put
	 * the results far outside the reference's tolerances. */
	(void)cublasSetMathMode(handle, CUBLAS_PEDANTIC_MATH);
	ready = 1;
	return 0;
}

/* "CUDA 13.0": the runtime version this build links. */
const char *
fl_cuda_version(void)
{
	static char v[32];
	int rt = 0;

	if (v[0] == '\0') {
		if (cudaRuntimeGetVersion(&rt) != cudaSuccess)
			rt = CUDART_VERSION;
		snprintf(v, sizeof(v), "CUDA %d.%d", rt / 1000,
		    (rt % 1000) / 10);
	}
	return v;
}

/* The first failure since the last call; see fl_cuda.h. */
int
fl_cuda_error(char *msg, size_t cap)
{
	if (ready && failure[0] == '\0')
		FL_CUDA_CHECK(cudaDeviceSynchronize());
	if (failure[0] == '\0')
		return 0;
	snprintf(msg, cap, "%s", failure);
	failure[0] = '\0';
	return -1;
}

void *
fl_cuda_alloc(size_t bytes)
{
	void *p = NULL;

	if (cudaMalloc(&p, bytes > 0 ? bytes : 1) != cudaSuccess) {
		(void)cudaGetLastError();	/* out of memory: NULL */
		return NULL;
	}
	return p;
}

void
fl_cuda_free(void *buf)
{
	if (buf != NULL)
		(void)cudaFree(buf);
}

void
fl_cuda_upload(void *dst, const void *src, size_t bytes)
{
	if (bytes > 0 && !fl_cuda_failed_())
		FL_CUDA_CHECK(cudaMemcpy(dst, src, bytes,
		    cudaMemcpyHostToDevice));
}

void
fl_cuda_download(void *dst, const void *src, size_t bytes)
{
	if (bytes == 0)
		return;
	/* After a failure the host buffer still gets defined bytes. */
	if (fl_cuda_failed_() || FL_CUDA_CHECK(cudaMemcpy(dst, src, bytes,
	    cudaMemcpyDeviceToHost)))
		memset(dst, 0, bytes);
}

/* A scratch area of bytes or more, grown by doubling. */
void *
fl_cuda_scratch_(size_t bytes)
{
	size_t want = scratch_size > 0 ? scratch_size : 4096;

	if (bytes <= scratch_size)
		return scratch;
	while (want < bytes)
		want *= 2;
	if (scratch != NULL)
		(void)cudaFree(scratch);
	scratch = NULL;
	scratch_size = 0;
	if (FL_CUDA_CHECK(cudaMalloc(&scratch, want)))
		return NULL;
	scratch_size = want;
	return scratch;
}
