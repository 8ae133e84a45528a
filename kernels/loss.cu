/*
 * loss.cu: the loss heads over logits Z (rows, k) against y (rows): the
 * summed loss, and scale * dloss/dZ into dZ (rows, k); mirrors
 * fl_ref_loss (lib/compute/ref.c, head_loss), in double per row as it is.
 *   BCE (k 1): log(1 + e^z) - y z, stably; dz = sigmoid(z) - y
 *   CE: logsumexp(z) - z[y], stably;        dz = softmax(z) - onehot(y)
 *   MSE (k 1): (z - y)^2;                    dz = 2 (z - y)
 * One thread per row, FL_CUDA_THREADS a block, over a grid stride; each
 * row's loss goes to the scratch area and the host adds them in row
 * order, as the reference does.  A class label outside 0..k-1 (which
 * fl_train's checks refuse before) gives NaN, never a stray read.
 */
#include <math.h>
#include <stdlib.h>

#include "cuda_int.h"

static __global__ void
loss_kernel(int kind, const float *Z, size_t rows, size_t k, const float *y,
    float scale, float *dZ, double *rowloss)
{
	size_t i, j, cls;
	double z, zmax, sum, lse, loss;

	for (i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < rows;
	    i += (size_t)gridDim.x * blockDim.x) {
		const float *zr = Z + i * k;
		float *dr = dZ + i * k;

		switch (kind) {
		case FL_CUDA_LOSS_BCE:
			z = zr[0];
			loss = fmax(z, 0.0) - z * y[i] + log1p(exp(-fabs(z)));
			dr[0] = (float)((double)scale * (1.0 / (1.0 +
			    exp(-z)) - y[i]));
			break;
		case FL_CUDA_LOSS_CE:
			if (!(y[i] >= 0.0f) || (double)y[i] >= (double)k) {
				loss = nan("");
				break;
			}
			cls = (size_t)y[i];
			zmax = zr[0];
			for (j = 1; j < k; j++)
				zmax = fmax(zmax, (double)zr[j]);
			sum = 0.0;
			for (j = 0; j < k; j++)
				sum += exp(zr[j] - zmax);
			lse = zmax + log(sum);
			loss = lse - zr[cls];
			for (j = 0; j < k; j++)
				dr[j] = (float)((double)scale *
				    (exp(zr[j] - lse) - (j == cls ? 1.0 :
				    0.0)));
			break;
		default:
			z = (double)zr[0] - y[i];
			loss = z * z;
			dr[0] = (float)((double)scale * 2.0 * z);
			break;
		}
		rowloss[i] = loss;
	}
}

extern "C" double
fl_cuda_loss(enum fl_cuda_loss_kind kind, const float *Z, size_t rows,
    size_t k, const float *y, float scale, float *dZ)
{
	double *dev, *host, acc = 0.0;
	size_t i;

	if (rows == 0 || k == 0 || fl_cuda_failed_())
		return rows == 0 ? 0.0 : nan("");
	if ((dev = (double *)fl_cuda_scratch_(rows * sizeof(double))) ==
	    NULL)
		return nan("");
	if ((host = (double *)malloc(rows * sizeof(double))) == NULL) {
		fl_cuda_fail_("loss: out of host memory", __FILE__, __LINE__);
		return nan("");
	}
	loss_kernel<<<fl_cuda_blocks(rows), FL_CUDA_THREADS>>>((int)kind, Z,
	    rows, k, y, scale, dZ, dev);
	if (FL_CUDA_LAUNCHED() || FL_CUDA_CHECK(cudaMemcpy(host, dev,
	    rows * sizeof(double), cudaMemcpyDeviceToHost))) {
		free(host);
		return nan("");
	}
	for (i = 0; i < rows; i++)
		acc += host[i];
	free(host);
	return acc;
}
