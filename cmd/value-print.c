/*
 * value-print.c: fl-value's output: the values of the rounds as one JSON
 * object (sites summed over the rounds, then each round), printed as JSON
 * or as TSV, one row per site.  man/fl-value.1 describes the keys.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fl.h"
#include "cli.h"
#include "value.h"

static const char *const method_names[] = { "shapley", "sampled", "loo" };

/* A number, or null when it is not one (a value not computed). */
static json_t *
num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

/* Add one round's values of update i to the site's row of sites (made on
 * its first round). */
static int
add_site(json_t *sites, const struct round *rd, size_t i)
{
	const char *site = round_site(rd, i);
	json_t *row = NULL, *v;
	size_t k;
	double x, se;

	json_array_foreach(sites, k, v)
		if (strcmp(json_string_value(json_object_get(v, "site")),
		    site) == 0) {
			row = v;
			break;
		}
	if (row == NULL) {
		row = json_pack("{s:s, s:I, s:f, s:f, s:f, s:i}", "site", site,
		    "samples", (json_int_t)0, "shapley", 0.0, "shapley_se", 0.0,
		    "loo", 0.0, "in_rounds", 0);
		if (row == NULL || json_array_append_new(sites, row) < 0)
			return -1;
	}
	x = json_number_value(json_object_get(row, "shapley"));
	se = json_number_value(json_object_get(row, "shapley_se"));
	if (json_is_null(json_object_get(row, "shapley")) ||
	    !isfinite(rd->r.value[i]))
		x = se = NAN;
	else {
		x += rd->r.value[i];
		se = sqrt(se * se + rd->r.se[i] * rd->r.se[i]);
	}
	return json_object_set_new(row, "samples", json_integer(
	    json_integer_value(json_object_get(row, "samples")) +
	    round_samples(rd, i))) < 0 ||
	    json_object_set_new(row, "shapley", num(x)) < 0 ||
	    json_object_set_new(row, "shapley_se", num(se)) < 0 ||
	    json_object_set_new(row, "loo", json_real(json_number_value(
	    json_object_get(row, "loo")) + rd->r.loo[i])) < 0 ||
	    json_object_set_new(row, "in_rounds", json_integer(
	    json_integer_value(json_object_get(row, "in_rounds")) + 1)) < 0 ?
	    -1 : 0;
}

/* One round's object. */
static json_t *
round_json(const struct round *rd)
{
	json_t *o, *sites = json_array(), *s;
	size_t i;

	for (i = 0; sites != NULL && i < round_count(rd); i++) {
		s = json_pack("{s:s, s:I, s:o, s:o, s:f, s:s}", "site",
		    round_site(rd, i), "samples",
		    (json_int_t)round_samples(rd, i), "shapley",
		    num(rd->r.value[i]), "shapley_se", num(rd->r.se[i]), "loo",
		    rd->r.loo[i], "update", round_update_id(rd, i));
		if (s == NULL || json_array_append_new(sites, s) < 0) {
			json_decref(sites);
			return NULL;
		}
	}
	o = json_pack("{s:I, s:s, s:s, s:f, s:f, s:I, s:o}", "round",
	    (json_int_t)round_number(rd), "model",
	    round_model_id(rd), "method", method_names[rd->method],
	    "utility_all", rd->r.u_all, "utility_none", rd->r.u_none,
	    "evaluations", (json_int_t)rd->r.evaluations, "sites", sites);
	return o;
}

json_t *
value_json(const struct opts *o, const struct round *rounds, size_t n,
    const char *metric)
{
	json_t *v, *sites = json_array(), *rs = json_array(), *r;
	const char *method = method_names[rounds[0].method];
	char util[64];
	size_t i, k;
	int sign = 1;

	fl_value_metric_check(metric, rounds[0].task, &sign, NULL);
	snprintf(util, sizeof(util), "%s%s", sign < 0 ? "-" : "", metric);
	for (i = 0; sites != NULL && rs != NULL && i < n; i++) {
		if (rounds[i].method != rounds[0].method)
			method = "mixed";
		for (k = 0; k < round_count(&rounds[i]); k++)
			if (add_site(sites, &rounds[i], k) < 0)
				goto fail;
		if ((r = round_json(&rounds[i])) == NULL ||
		    json_array_append_new(rs, r) < 0)
			goto fail;
	}
	if (sites == NULL || rs == NULL)
		goto fail;
	v = json_pack("{s:o, s:f, s:f, s:s, s:s, s:s, s:s, s:o}", "sites",
	    sites, "utility_all", rounds[n - 1].r.u_all, "utility_none",
	    rounds[0].r.u_none, "metric", metric, "utility", util, "method",
	    method, "strategy", o->strategy, "rounds", rs);
	return v;
fail:
	json_decref(sites);
	json_decref(rs);
	return NULL;
}

/* A number as TSV: NA for null. */
static void
cell(const json_t *x)
{
	if (json_is_number(x))
		printf("\t%.10g", json_number_value(x));
	else
		fputs("\tNA", stdout);
}

void
value_print(const json_t *v, int tsv)
{
	const json_t *s;
	size_t i;

	if (!tsv) {
		json_dumpf(v, stdout, JSON_COMPACT);
		putchar('\n');
		return;
	}
	puts("site\tsamples\tshapley\tshapley_se\tloo");
	json_array_foreach(json_object_get(v, "sites"), i, s) {
		printf("%s\t%lld", json_string_value(json_object_get(s, "site")),
		    (long long)json_integer_value(json_object_get(s,
		    "samples")));
		cell(json_object_get(s, "shapley"));
		cell(json_object_get(s, "shapley_se"));
		cell(json_object_get(s, "loo"));
		putchar('\n');
	}
}
