/*
 * init-cnn.c: fl-init's part for convolutional models (fl-init(1),
 * "CNN"): --input CxHxW joined to a cnn: spec, and standardisation by one
 * mean and one scale per channel, pooled over the channel's pixel columns
 * of the statistics, rather than per pixel.  The model itself is
 * lib/model/cnn.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "init.h"

/*
 * The spec to build: o->spec itself, or for "cnn:LAYERS" with --input
 * CxHxW, "cnn:CxHxW:LAYERS" in buf (len).  --input with another model,
 * or a cnn: spec without an input shape and without --input, is a usage
 * error (exit 2).
 */
const char *
init_cnn_spec(const struct opts *o, char *buf, size_t len)
{
	const char *rest;
	unsigned long c, h, w;
	int n = 0;

	if (strncmp(o->spec, "cnn:", 4) != 0) {
		if (o->input != NULL)
			fl_usage_error(init_usage, "--input is for cnn: "
			    "models");
		return o->spec;
	}
	rest = o->spec + 4;
	if (o->input == NULL)
		return o->spec;		/* the spec may name its input */
	if (sscanf(o->input, "%lux%lux%lu%n", &c, &h, &w, &n) != 3 ||
	    (size_t)n != strlen(o->input) || c == 0 || h == 0 || w == 0 ||
	    o->input[0] < '0' ||
	    o->input[0] > '9' || strchr(o->input, '-') != NULL ||
	    strchr(o->input, '+') != NULL || strchr(o->input, ' ') != NULL)
		fl_usage_error(init_usage, "--input: '%s' is not CxHxW",
		    o->input);
	if (strchr(rest, ':') != NULL)
		fl_usage_error(init_usage, "--input conflicts with the input "
		    "shape in --model '%s'", o->spec);
	if ((size_t)snprintf(buf, len, "cnn:%s:%s", o->input, rest) >= len)
		fl_usage_error(init_usage, "--model: spec too long");
	return buf;
}

/*
 * Standardise a CNN's features per channel: channel ch's mean is the sum
 * of its columns' sums over the sum of their counts, its scale the sample
 * standard deviation from their pooled sums of squares (1 when that is 0
 * or not finite), and every pixel of the channel gets them, as its
 * impute value too.  feats[0..d-1] are the model's feature columns, which
 * the caller has checked are in st.  Nothing for a dense model.
 */
void
init_cnn_stats(struct fl_model *m, const struct fl_stats *st,
    const char **feats)
{
	struct fl_prep *p = fl_model_prep(m);
	struct fl_colstats cs;
	size_t c, h, w, ch, j, hw;
	double n, sum, sumsq, mean, var;
	long col;

	if (st == NULL || !fl_model_image(m, &c, &h, &w))
		return;
	hw = h * w;
	for (ch = 0; ch < c; ch++) {
		n = sum = sumsq = 0.0;
		for (j = ch * hw; j < (ch + 1) * hw; j++) {
			if ((col = fl_stats_find(st, feats[j])) < 0)
				continue;
			fl_stats_col(st, (size_t)col, &cs);
			n += cs.count;
			sum += cs.sum;
			sumsq += cs.sumsq;
		}
		mean = n > 0 ? sum / n : 0.0;
		var = n > 1 ? (sumsq - sum * sum / n) / (n - 1) : 0.0;
		var = var > 0 && isfinite(var) ? sqrt(var) : 1.0;
		for (j = ch * hw; j < (ch + 1) * hw; j++) {
			p->mean[j] = p->impute[j] = mean;
			p->scale[j] = var;
		}
	}
}
