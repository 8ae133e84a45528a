/*
 * image.c: PNG images as feature rows, read with libspng: the pixels of
 * an 8- or 16-bit grayscale or RGB PNG in channel-first row-major order
 * (C x H x W, struct fl_conv's layout in lib/compute/compute.h), as
 * values 0..255 (16-bit samples divided by 257, so that an 8-bit image and
 * the same image widened to 16 bits give the same features).  csv.c
 * calls it for --image-column; fl-train(1) documents the option.
 * Hostile files: libspng's image and chunk limits refuse huge dimensions
 * and chunks before anything is allocated, the shape is checked against
 * the expected one before decoding, and a truncated or corrupt stream is
 * an error, never a partial image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spng.h>

#include "format/format.h"

#define PNG_CHUNK_LIMIT	((size_t)4 << 20)	/* one chunk: 4 MiB */
#define PNG_CACHE_LIMIT	((size_t)16 << 20)	/* ancillary chunks kept */

/* "libspng 0.7.3", for --version. */
const char *
fl_png_version(void)
{
	static char v[32];

	if (v[0] == '\0')
		snprintf(v, sizeof(v), "libspng %d.%d.%d",
		    SPNG_VERSION_MAJOR, SPNG_VERSION_MINOR,
		    SPNG_VERSION_PATCH);
	return v;
}

/*
 * Open path as PNG and read its header into *c (1 or 3), *h, *w and its
 * bit depth *depth.  On success the context and file are the caller's.
 * Errors: FL_EIO (open), FL_EFORMAT (not a PNG, a kind not read, over the
 * limits).
 */
static int
png_open(const char *path, spng_ctx **ctxp, FILE **fp, size_t *c, size_t *h,
    size_t *w, int *depth, struct fl_err *err)
{
	struct spng_ihdr ihdr;
	spng_ctx *ctx;
	FILE *f;
	int rc;

	*ctxp = NULL;
	*fp = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return fl_err_set(err, FL_EIO, "%s: %s", path, strerror(errno));
	if ((ctx = spng_ctx_new(0)) == NULL) {
		fclose(f);
		return fl_err_set(err, FL_ENOMEM, "%s: out of memory", path);
	}
	if ((rc = spng_set_image_limits(ctx, FL_IMAGE_MAX_SIDE,
	    FL_IMAGE_MAX_SIDE)) != 0 ||
	    (rc = spng_set_chunk_limits(ctx, PNG_CHUNK_LIMIT,
	    PNG_CACHE_LIMIT)) != 0 ||
	    (rc = spng_set_png_file(ctx, f)) != 0 ||
	    (rc = spng_get_ihdr(ctx, &ihdr)) != 0) {
		spng_ctx_free(ctx);
		fclose(f);
		return fl_err_set(err, FL_EFORMAT, "%s: not a PNG image we "
		    "can read: %s", path, spng_strerror(rc));
	}
	if ((ihdr.color_type != SPNG_COLOR_TYPE_GRAYSCALE &&
	    ihdr.color_type != SPNG_COLOR_TYPE_TRUECOLOR) ||
	    (ihdr.bit_depth != 8 && ihdr.bit_depth != 16)) {
		spng_ctx_free(ctx);
		fclose(f);
		return fl_err_set(err, FL_EFORMAT, "%s: %d-bit %s PNG: fl "
		    "reads 8- and 16-bit grayscale and RGB", path,
		    (int)ihdr.bit_depth,
		    ihdr.color_type == SPNG_COLOR_TYPE_INDEXED ? "palette" :
		    ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE ?
		    "grayscale" : ihdr.color_type ==
		    SPNG_COLOR_TYPE_TRUECOLOR ? "RGB" : "with-alpha");
	}
	*c = ihdr.color_type == SPNG_COLOR_TYPE_TRUECOLOR ? 3 : 1;
	*h = ihdr.height;
	*w = ihdr.width;
	*depth = ihdr.bit_depth;
	if (*h * *w > FL_IMAGE_MAX_VALUES / *c) {
		spng_ctx_free(ctx);
		fclose(f);
		return fl_err_set(err, FL_EFORMAT, "%s: %zux%zux%zu image, "
		    "more than %zu values", path, *c, *h, *w,
		    FL_IMAGE_MAX_VALUES);
	}
	*ctxp = ctx;
	*fp = f;
	return 0;
}

/* The shape of PNG path; see format.h. */
int
fl_png_shape(const char *path, size_t *c, size_t *h, size_t *w,
    struct fl_err *err)
{
	spng_ctx *ctx;
	FILE *f;
	int depth, rc;

	if ((rc = png_open(path, &ctx, &f, c, h, w, &depth, err)) < 0)
		return rc;
	spng_ctx_free(ctx);
	fclose(f);
	return 0;
}

/* Read PNG path of shape c x h x w into out, channel first; see
 * format.h. */
int
fl_png_read(const char *path, size_t c, size_t h, size_t w, double *out,
    struct fl_err *err)
{
	size_t pc, ph, pw, len, i, ch, hw;
	unsigned char *buf = NULL;
	spng_ctx *ctx;
	FILE *f;
	int depth, rc;

	if ((rc = png_open(path, &ctx, &f, &pc, &ph, &pw, &depth, err)) < 0)
		return rc;
	if (pc != c || ph != h || pw != w) {
		rc = fl_err_set(err, FL_ESHAPE, "%s: %zux%zux%zu image "
		    "(CxHxW), expected %zux%zux%zu", path, pc, ph, pw, c, h,
		    w);
		goto out;
	}
	/* SPNG_FMT_PNG: the PNG's own layout (gray or RGB, 8 or 16 bits
	 * host-endian), interleaved by pixel. */
	if ((rc = spng_decoded_image_size(ctx, SPNG_FMT_PNG, &len)) != 0 ||
	    len != c * h * w * (size_t)(depth / 8)) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: %s", path, rc != 0 ?
		    spng_strerror(rc) : "unexpected decoded size");
		goto out;
	}
	if ((buf = malloc(len > 0 ? len : 1)) == NULL) {
		rc = fl_err_set(err, FL_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if ((rc = spng_decode_image(ctx, buf, len, SPNG_FMT_PNG, 0)) != 0) {
		rc = fl_err_set(err, FL_EFORMAT, "%s: corrupt or truncated "
		    "PNG: %s", path, spng_strerror(rc));
		goto out;
	}
	hw = h * w;
	for (i = 0; i < hw; i++)
		for (ch = 0; ch < c; ch++) {
			if (depth == 8)
				out[ch * hw + i] = buf[i * c + ch];
			else {
				uint16_t v;

				memcpy(&v, buf + 2 * (i * c + ch), 2);
				out[ch * hw + i] = v / 257.0;
			}
		}
	rc = 0;
out:
	free(buf);
	spng_ctx_free(ctx);
	fclose(f);
	return rc;
}
