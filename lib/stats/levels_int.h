/* levels_int.h: the levels of one column (lib/stats/levels.c), internal to
 * lib/stats. */
#ifndef FL_STATS_LEVELS_INT_H
#define FL_STATS_LEVELS_INT_H

struct fl_levels {
	int	 rec;			/* recorded (a categorical column) */
	int	 over;			/* too many levels: none kept */
	size_t	 n;
	char	*v[FL_MAX_LEVELS];	/* sorted by byte order */
	double	 cnt[FL_MAX_LEVELS];
	double	 num[FL_MAX_LEVELS];	/* its number, where isnum */
	char	 isnum[FL_MAX_LEVELS];
};

void	 fl_levels_clear(struct fl_levels *l);
/* Count count more cells of level (p, n); FL_ENOMEM. */
int	 fl_levels_add(struct fl_levels *l, const char *p, size_t n,
	    double count, struct fl_err *err);
/* The same for a cell that the CSV reader read as y (not finite: not a
 * number); y must be what strtod gives for (p, n). */
int	 fl_levels_add_num(struct fl_levels *l, const char *p, size_t n,
	    double y, double count, struct fl_err *err);
int	 fl_levels_merge(struct fl_levels *dst, const struct fl_levels *src,
	    struct fl_err *err);
/* Drop the levels seen fewer than k times; the number dropped. */
double	 fl_levels_suppress(struct fl_levels *l, double k);
/* null (too many) or {"values": [...], "counts": [...]}; NULL: no memory. */
json_t	*fl_levels_to_json(const struct fl_levels *l);
int	 fl_levels_from_json(struct fl_levels *l, const json_t *j,
	    struct fl_err *err);

#endif
