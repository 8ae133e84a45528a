/*
 * eval-coef.c: fl-eval --coef: the coefficient table of a model fitted
 * by Newton rounds (lib/stats/coef.c), as one JSON object or as TSV: the
 * terms, a blank line, the fit (n events loglik iterations converged
 * l2 level), a blank line, and the sites (site rows events skipped
 * dropped).  Manual: man/fl-eval.1.
 */
#include <stdio.h>

#include "fl.h"
#include "eval.h"

/* A TSV header line of keys, or the values of obj at them: strings as
 * they are, true and false as TRUE and FALSE, null as NA. */
static void
print_keys(const json_t *obj, const char *const *keys, size_t nk)
{
	const json_t *v;
	size_t k;

	for (k = 0; k < nk; k++) {
		v = obj == NULL ? NULL : json_object_get(obj, keys[k]);
		if (obj == NULL)
			fputs(keys[k], stdout);
		else if (json_is_string(v))
			fputs(json_string_value(v), stdout);
		else if (json_is_boolean(v))
			fputs(json_is_true(v) ? "TRUE" : "FALSE", stdout);
		else if (json_is_integer(v))
			printf("%lld", (long long)json_integer_value(v));
		else if (json_is_number(v))
			printf("%.10g", json_number_value(v));
		else
			fputs("NA", stdout);
		putchar(k + 1 < nk ? '\t' : '\n');
	}
}

static void
print_tsv(const json_t *tab)
{
	static const char *const term[] = { "term", "estimate", "se", "z",
		"p", "ci_low", "ci_high", "ratio", "ratio_low", "ratio_high" };
	static const char *const fit[] = { "n", "events", "loglik",
		"iterations", "converged", "l2", "level" };
	static const char *const site[] = { "site", "rows", "events",
		"skipped", "dropped" };
	const json_t *terms = json_object_get(tab, "terms"), *row;
	size_t i, nt = json_object_get(json_array_get(terms, 0), "ratio") ?
	    10 : 7;

	print_keys(NULL, term, nt);
	json_array_foreach(terms, i, row)
		print_keys(row, term, nt);
	putchar('\n');
	print_keys(NULL, fit, 7);
	print_keys(tab, fit, 7);
	putchar('\n');
	print_keys(NULL, site, 5);
	json_array_foreach(json_object_get(tab, "sites"), i, row)
		print_keys(row, site, 5);
}

int
eval_coef(const struct opts *o, struct fl_err *err)
{
	struct fl_archive *a = NULL;
	struct fl_seckey *sk = NULL;
	struct fl_model *m = NULL;
	json_t *tab = NULL;
	int rc;

	if ((o->key != NULL && (rc = fl_seckey_read(&sk, o->key, err)) < 0) ||
	    (rc = fl_model_read(o->model, sk, &a, &m, err)) < 0)
		goto out;
	if ((rc = fl_coef_table(m, fl_archive_manifest(a), o->level, &tab,
	    err)) < 0) {
		fl_err_prefix(err, "%s", fl_in_name(o->model));
		goto out;
	}
	if (o->tsv)
		print_tsv(tab);
	else
		eval_print_json(tab);
out:
	json_decref(tab);
	fl_archive_free(a);
	fl_seckey_free(sk);
	fl_model_free(m);
	return rc;
}
