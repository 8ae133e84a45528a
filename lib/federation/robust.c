/*
 * robust.c: Byzantine-robust aggregation over spooled updates, chunk by
 * chunk.  The updates' deltas lie one after another in a file; each pass
 * reads the same chunk of every delta with pread, so memory is O(updates x
 * chunk) plus the result, however large the model.
 *
 *   median        coordinate-wise median (mean of the two middle values
 *                 when the count is even)
 *   trimmed-mean  coordinate-wise mean after dropping floor(trim * m)
 *                 smallest and largest values (Yin et al. 2018)
 *   krum          the update whose summed squared distance to its m - f - 2
 *                 nearest others is least (Blanchard et al. 2017)
 *   multi-krum    the mean of the sel updates with the least such scores
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "robust_int.h"

/* Read floats [c0, c0 + len) of each of the m vectors into buf (m, len). */
static int
read_chunk(int fd, size_t m, size_t n, size_t c0, size_t len, float *buf,
    struct fl_err *err)
{
	size_t i, want, got;
	ssize_t r;
	char *p;
	off_t off;

	for (i = 0; i < m; i++) {
		p = (char *)(buf + i * len);
		want = len * sizeof(float);
		off = (off_t)((i * n + c0) * sizeof(float));
		for (got = 0; got < want; got += (size_t)r) {
			r = pread(fd, p + got, want - got, off + (off_t)got);
			if (r < 0 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0)
				return fl_err_set(err, FL_EIO, "spool: read: %s",
				    r < 0 ? strerror(errno) : "short file");
		}
	}
	return 0;
}

/* Put the k-th smallest of a[0..n-1] at a[k], none larger before it and
 * none smaller after (Wirth's selection). */
static void
select_k(float *a, size_t n, size_t k)
{
	long l = 0, r = (long)n - 1, i, j, kk = (long)k;
	float x, t;

	while (l < r) {
		x = a[kk];
		i = l;
		j = r;
		do {
			while (a[i] < x)
				i++;
			while (x < a[j])
				j--;
			if (i <= j) {
				t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			r = j;
	}
}

/* |a - b|^2 over n floats: eight float lanes over blocks of 1024 (a
 * shape the compiler vectorises without reassociating), added up in
 * double. */
static double
sqdist(const float *a, const float *b, size_t n)
{
	float acc[8], t;
	double s = 0;
	size_t c, e, k, l;

	for (c = 0; c < n; c = e) {
		e = n - c < 1024 ? n : c + 1024;
		for (l = 0; l < 8; l++)
			acc[l] = 0;
		for (k = c; k + 8 <= e; k += 8)
			for (l = 0; l < 8; l++) {
				t = a[k + l] - b[k + l];
				acc[l] += t * t;
			}
		for (; k < e; k++) {
			t = a[k] - b[k];
			acc[0] += t * t;
		}
		for (l = 0; l < 8; l++)
			s += acc[l];
	}
	return s;
}

/* The median of col[0..m-1] (reordered). */
static float
median_of(float *col, size_t m)
{
	size_t h = m / 2, i;
	float lo, hi;

	select_k(col, m, h);
	hi = col[h];
	if (m % 2 == 1)
		return hi;
	/* The largest of the lower half is the other middle value. */
	lo = col[0];
	for (i = 1; i < h; i++)
		if (col[i] > lo)
			lo = col[i];
	return (float)(((double)lo + hi) / 2);
}

/* The mean of ranks k..m-k-1 of col[0..m-1] (reordered). */
static float
trimmed_of(float *col, size_t m, size_t k)
{
	double s = 0;
	size_t i;

	if (k > 0) {
		select_k(col, m, k);
		select_k(col + k, m - k, m - 2 * k - 1);
	}
	for (i = k; i < m - k; i++)
		s += col[i];
	return (float)(s / (double)(m - 2 * k));
}

/* Krum scores from the distance matrix d (m, m): the sum over the
 * m - f - 2 nearest others. */
static void
krum_scores(const double *d, size_t m, long f, double *score, double *tmp)
{
	size_t i, j, k, near = m - (size_t)f - 2, t;
	double x;

	for (i = 0; i < m; i++) {
		for (j = 0, k = 0; j < m; j++)
			if (j != i)
				tmp[k++] = d[i * m + j];
		/* Insertion sort: m is small (the number of sites). */
		for (j = 1; j < k; j++) {
			x = tmp[j];
			for (t = j; t > 0 && tmp[t - 1] > x; t--)
				tmp[t] = tmp[t - 1];
			tmp[t] = x;
		}
		score[i] = 0;
		for (j = 0; j < near; j++)
			score[i] += tmp[j];
	}
}

int
fl_robust_combine(int fd, size_t m, size_t n, size_t chunk,
    enum fl_robust kind, double trim, long f, long sel, float *out,
    int *chosen, struct fl_err *err)
{
	float *buf = NULL, *col = NULL;
	double *d = NULL, *score = NULL, *tmp = NULL, s, x;
	int *pick = NULL;
	size_t c0, len, i, j, c, k = 0, nsel = 0, best;
	int rc = 0;

	if (m == 0)
		return fl_err_set(err, FL_EUSAGE, "no updates to aggregate");
	if (chunk == 0)
		chunk = 65536;
	if (chunk > n)
		chunk = n;
	if (kind == FL_ROBUST_TRIMMED) {
		k = (size_t)floor(trim * (double)m);
		if (2 * k >= m)
			return fl_err_set(err, FL_EUSAGE, "trimmed-mean: "
			    "--trim %g cuts all of %zu updates", trim, m);
	}
	if (kind == FL_ROBUST_KRUM || kind == FL_ROBUST_MULTIKRUM) {
		if (f < 0 || m < 2 * (size_t)f + 3)
			return fl_err_set(err, FL_EUSAGE, "krum: --byzantine "
			    "%ld needs at least %ld updates, got %zu", f,
			    2 * f + 3, m);
		nsel = kind == FL_ROBUST_KRUM ? 1 :
		    sel > 0 ? (size_t)sel : m - (size_t)f;
		if (nsel > m)
			return fl_err_set(err, FL_EUSAGE, "multi-krum: "
			    "--select %zu is more than the %zu updates", nsel,
			    m);
	}
	buf = malloc(m * chunk * sizeof(float));
	col = malloc(m * sizeof(float));
	d = calloc(m * m, sizeof(double));
	score = malloc(m * sizeof(double));
	tmp = malloc(m * sizeof(double));
	pick = calloc(m, sizeof(int));
	if (buf == NULL || col == NULL || d == NULL || score == NULL ||
	    tmp == NULL || pick == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "out of memory");
		goto out;
	}
	if (kind == FL_ROBUST_KRUM || kind == FL_ROBUST_MULTIKRUM) {
		/* Pass 1: pairwise squared distances, chunk by chunk. */
		for (c0 = 0; c0 < n; c0 += len) {
			len = n - c0 < chunk ? n - c0 : chunk;
			if ((rc = read_chunk(fd, m, n, c0, len, buf, err)) < 0)
				goto out;
			for (i = 0; i < m; i++)
				for (j = i + 1; j < m; j++) {
					s = sqdist(buf + i * len, buf + j * len,
					    len);
					d[i * m + j] += s;
					d[j * m + i] += s;
				}
		}
		krum_scores(d, m, f, score, tmp);
		/* Select the nsel least scores, ties to the earlier update. */
		for (j = 0; j < nsel; j++) {
			best = m;
			for (i = 0; i < m; i++)
				if (!pick[i] && (best == m ||
				    score[i] < score[best]))
					best = i;
			pick[best] = 1;
		}
	}
	/* Pass 2 (the only one for median and trimmed mean). */
	for (c0 = 0; c0 < n; c0 += len) {
		len = n - c0 < chunk ? n - c0 : chunk;
		if ((rc = read_chunk(fd, m, n, c0, len, buf, err)) < 0)
			goto out;
		for (c = 0; c < len; c++) {
			switch (kind) {
			case FL_ROBUST_MEDIAN:
				for (i = 0; i < m; i++)
					col[i] = buf[i * len + c];
				out[c0 + c] = median_of(col, m);
				break;
			case FL_ROBUST_TRIMMED:
				for (i = 0; i < m; i++)
					col[i] = buf[i * len + c];
				out[c0 + c] = trimmed_of(col, m, k);
				break;
			default:
				x = 0;
				for (i = 0; i < m; i++)
					if (pick[i])
						x += buf[i * len + c];
				out[c0 + c] = (float)(x / (double)nsel);
			}
		}
	}
	if (chosen != NULL)
		for (i = 0; i < m; i++)
			chosen[i] = pick[i];
out:
	free(buf);
	free(col);
	free(d);
	free(score);
	free(tmp);
	free(pick);
	return rc;
}
