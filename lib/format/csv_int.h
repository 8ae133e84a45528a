/*
 * csv_int.h: lib/format/csv.c's number parser, for its unit test
 * (test/unit/test_number.c), its fuzz target (test/fuzz/fuzz_number.c)
 * and lib/ only.
 */
#ifndef FL_CSV_INT_H
#define FL_CSV_INT_H

/*
 * The exact fast path for a cell [s, t): 1 when it is a plain decimal
 * ([+-]digits[.digits][e[+-]digits]) of at most 19 significant digits
 * whose value is (double)m * 10^e or (double)m / 10^e with m <= 2^53 and
 * |e| <= 22 (Clinger 1990), or zero; *v is then the correctly rounded
 * value, bit for bit what strtod gives, sign of zero included.  0 when the
 * cell is anything else: *v is untouched and fl_csv_number_strtod decides.
 * Only valid where strtod's radix character is '.' (LC_NUMERIC "C", as in
 * every fl tool, which never calls setlocale).
 */
int	fl_csv_number_fast(const char *s, const char *t, double *v);

/*
 * The reference: 0 and *v when the whole cell [s, t) is made of digits,
 * signs, points and exponent letters and strtod reads all of it as a
 * finite number; -1 otherwise (an empty cell included).  *t is written
 * and restored, so it must be writable.
 */
int	fl_csv_number_strtod(char *s, char *t, double *v);

#endif
