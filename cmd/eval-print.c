/*
 * eval-print.c: fl-eval's output on stdout: metrics as one JSON object or
 * a TSV header and value line, and one prediction per row.
 */
#include <math.h>
#include <stdio.h>

#include "fl.h"
#include "eval.h"
#include "cli-summary.h"

void
eval_print_tsv(const json_t *obj, int header)
{
	const char *key;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)obj, key, v) {
		if (!first)
			putchar('\t');
		first = 0;
		if (header)
			fputs(key, stdout);
		else if (json_is_integer(v))
			printf("%lld", (long long)json_integer_value(v));
		else if (json_is_number(v))
			printf("%.10g", json_number_value(v));
		else
			fputs("NA", stdout);
	}
	putchar('\n');
}

void
eval_print_json(const json_t *obj)
{
	json_dumpf(obj, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT |
	    JSON_REAL_PRECISION(12));
	putchar('\n');
}

/* One prediction row as a JSON object: label, pred, probabilities. */
static json_t *
prediction(enum fl_task task, size_t k, const float *p, float y)
{
	json_t *o = json_object(), *probs;
	size_t c, best = 0;

	json_object_set_new(o, "label", isnan(y) ? json_null() :
	    json_real(y));
	if (task == FL_TASK_BINARY) {
		json_object_set_new(o, "p", json_real(p[0]));
	} else if (task == FL_TASK_REGRESSION) {
		json_object_set_new(o, "pred", json_real(p[0]));
	} else {
		probs = json_array();
		for (c = 0; c < k; c++) {
			json_array_append_new(probs, json_real(p[c]));
			if (p[c] > p[best])
				best = c;
		}
		json_object_set_new(o, "pred", json_integer((json_int_t)best));
		json_object_set_new(o, "p", probs);
	}
	return o;
}

void
eval_print_predictions(const struct fl_model *m, const struct fl_dataset *ds,
    const float *pred, int tsv)
{
	size_t i, c, k = fl_model_noutputs(m);
	enum fl_task task = fl_model_task(m);
	json_t *row;

	if (tsv) {
		fputs(task == FL_TASK_BINARY ? "label\tp" : "label\tpred",
		    stdout);
		for (c = 0; task == FL_TASK_MULTICLASS && c < k; c++)
			printf("\tp%zu", c);
		putchar('\n');
	}
	for (i = 0; i < ds->n; i++) {
		row = prediction(task, k, pred + i * k, ds->y[i]);
		if (row == NULL)
			continue;
		if (!tsv) {
			eval_print_json(row);
		} else {
			const json_t *p = json_object_get(row, "p");

			if (isnan(ds->y[i]))
				fputs("NA", stdout);
			else
				printf("%.10g", ds->y[i]);
			if (task != FL_TASK_BINARY)
				printf("\t%.10g", json_number_value(
				    json_object_get(row, "pred")));
			if (task == FL_TASK_BINARY)
				printf("\t%.10g", json_number_value(p));
			for (c = 0; task == FL_TASK_MULTICLASS && c < k; c++)
				printf("\t%.10g", json_number_value(
				    json_array_get(p, c)));
			putchar('\n');
		}
		json_decref(row);
	}
}

void
eval_summary(const struct opts *o, struct fl_archive *a,
    const struct fl_dataset *ds)
{
	char skipped[64] = "";

	if (ds->skipped > 0)
		snprintf(skipped, sizeof(skipped), " (%zu without a label "
		    "skipped)", ds->skipped);
	fl_summary(o->verbose, "%s: %zu rows%s scored by %s (round %lld)",
	    fl_in_name(o->data), ds->n, skipped, fl_in_name(o->model),
	    (long long)json_integer_value(json_object_get(
	    fl_archive_manifest(a), "round")));
}
