/*
 * fuzz_number.c: libFuzzer target for lib/format/csv.c's number parser.  Each
 * input is one cell; the exact fast path (fl_csv_number_fast) must either
 * decline it or give the same double, bit for bit, as the strtod
 * reference (fl_csv_number_strtod), which must read the whole cell.  Any
 * disagreement aborts, so the fuzzer saves the cell.  Run by `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl.h"
#include "format/csv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cell;
	double fv = 0.0, rv = 0.0;
	int fast, ok;

	/* One byte more: the reference writes a NUL there and restores it. */
	if ((cell = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(cell, data, size);
	cell[size] = 'X';
	fast = fl_csv_number_fast(cell, cell + size, &fv);
	ok = fl_csv_number_strtod(cell, cell + size, &rv) == 0;
	if (cell[size] != 'X' || (size > 0 && memcmp(cell, data, size) != 0))
		abort();
	if (fast && (!ok || memcmp(&fv, &rv, sizeof(fv)) != 0)) {
		fprintf(stderr, "fuzz_number: '%.*s': fast %a, strtod %s %a\n",
		    (int)(size < 200 ? size : 200), cell, fv,
		    ok ? "took" : "rejected", rv);
		abort();
	}
	free(cell);
	return 0;
}
