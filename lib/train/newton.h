/*
 * train/newton.h: a site's part of a Newton round (lib/train/newton.c):
 * the score vector, information matrix and log-likelihood of the
 * site's rows at the model's coefficients, for the models whose
 * log-likelihood is a sum the server can add up exactly: logistic
 * ("logreg"), linear ("linear") and Cox ("cox", the site's own stratum,
 * Breslow ties).  Included by train/train.h.
 */
#ifndef FL_LIB_TRAIN_NEWTON_H
#define FL_LIB_TRAIN_NEWTON_H

/*
 * The coefficients of a Newton model, on the standardised scale the
 * model works in: for logreg and linear (Intercept) then one per
 * feature; for cox one per feature (the bias cancels in the partial
 * likelihood and stays 0).  fl_newton_ncoef gives their number p, or 0
 * for a model Newton rounds do not fit (hidden layers, multiclass).
 */
size_t		 fl_newton_ncoef(const struct fl_model *m);
/* Copy m's coefficients into theta (p), and theta into m's parameters. */
void		 fl_newton_get(const struct fl_model *m, double *theta);
void		 fl_newton_set(struct fl_model *m, const double *theta);

/*
 * A site's sums at m's coefficients, over ds's rows: loglik, the
 * log-likelihood (linear: -RSS/2, whose maximum is least squares; cox:
 * the Breslow log partial likelihood of the site's own risk sets);
 * score (p), its gradient; info (p x p, row-major), minus its Hessian;
 * rows and events (binary: rows with label 1; cox: events; linear:
 * rows); extreme, the binary rows whose fitted probability is within
 * 10 DBL_EPSILON of 0 or 1 (R's sign of separation).  All sums are in
 * double.  Errors: FL_EUSAGE (a model Newton rounds do not fit),
 * FL_ENUM (a value not finite), FL_ENOMEM.
 */
struct fl_newton_sums {
	size_t	 p;
	double	 loglik;
	double	*score;		/* p */
	double	*info;		/* p * p */
	size_t	 rows, events, extreme;
};
int		 fl_newton_site(const struct fl_model *m,
		    const struct fl_dataset *ds, struct fl_newton_sums *s,
		    struct fl_err *err);
void		 fl_newton_sums_release(struct fl_newton_sums *s);

/*
 * In place, the Cholesky factor L (lower, a = L L') of the symmetric
 * p x p matrix a (row-major; the upper triangle is left as is), in
 * double.  Returns 0, or -1 when a is not numerically positive definite
 * (a pivot at most 1e-9 times its diagonal entry: a column that the
 * ones before it explain to R^2 >= 1 - 1e-9, collinear once the features
 * are stored as float).  A
 * hand-written factor rather than LAPACK's dpotrf: p is tens at most,
 * and not every OpenBLAS carries LAPACK.
 */
int		 fl_chol(double *a, size_t p);
/* Solve L L' x = b in place (b: p) with the factor of fl_chol. */
void		 fl_chol_solve(const double *l, size_t p, double *b);
/* The inverse of L L' into inv (p x p, full, symmetric); work: p. */
void		 fl_chol_inverse(const double *l, size_t p, double *inv,
		    double *work);

#endif /* FL_LIB_TRAIN_NEWTON_H */
