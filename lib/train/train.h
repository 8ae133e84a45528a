/*
 * train/train.h: the train layer of libfl: the training loop, its heads and
 * optimisers, SCAFFOLD at a site, prediction.
 * Layers include downwards only (README.md, "Source tour"); fl.h
 * includes them all.
 */
#ifndef FL_LIB_TRAIN_H
#define FL_LIB_TRAIN_H

#include "compute/compute.h"
#include "privacy/privacy.h"

/* ------------------------------------------------------------------------ */
/* Training and prediction (compute/nn.c, train/optim.c, train/train.c).    */

enum fl_optimizer {
	FL_OPT_SGD,
	FL_OPT_ADAM,
	FL_OPT_NEWTON	/* not a step of fl_train: see train/newton.h */
};
int		 fl_optimizer_parse(const char *s);	/* or -1 */
const char	*fl_optimizer_name(enum fl_optimizer o);

struct fl_hparams {
	unsigned	 epochs;
	size_t		 batch;
	double		 lr;
	enum fl_optimizer optimizer;
	double		 momentum;	/* SGD only */
	double		 l2;		/* weight decay on weights, not biases */
	double		 beta1, beta2, eps;	/* Adam */
	uint64_t	 seed;		/* drives the "shuffle" stream */
	const struct fl_backend *backend;	/* NULL: the CPU (BLAS) */
	/* Called after each batch with steps done and total; may be NULL. */
	void		(*progress)(void *ctx, size_t done, size_t total);
	void		*progress_ctx;
	/*
	 * Client-side methods; zero or NULL leaves each off.
	 * FedProx adds prox_mu/2 |w - w_start|^2 to the objective, w_start
	 * being the parameters fl_train starts from.  SCAFFOLD adds
	 * correction (nparams: c - c_i) to every gradient.  DP-SGD clips
	 * each row's gradient to L2 norm dp_clip, adds N(0, (dp_noise *
	 * dp_clip)^2) to each coordinate of the batch's sum and divides by
	 * the batch's rows; the noise comes from OpenSSL's RAND_bytes, or
	 * from dp_seed when dp_seeded (for tests: a known seed voids the
	 * guarantee).  dp_noise 0 clips without noise.
	 */
	double		 prox_mu;
	const float	*correction;
	double		 dp_clip, dp_noise;
	int		 dp_seeded;
	uint64_t	 dp_seed;
};
#define FL_HPARAMS_INIT { 1, 32, 0.1, FL_OPT_SGD, 0.0, 0.0, 0.9, 0.999, \
	1e-8, 1, NULL, NULL, NULL, 0.0, NULL, 0.0, 0.0, 0, 0 }

struct fl_train_result {
	double	loss;		/* mean training loss over the last epoch */
	size_t	samples;	/* rows trained on */
	size_t	steps;		/* optimizer steps taken */
};

/*
 * Train m in place on ds with minibatch SGD or Adam: each epoch visits the
 * rows in an order shuffled by hp->seed.  Deterministic for a given seed.
 * Survival models (the Cox head, whose risk sets need the whole site)
 * instead take one full-batch step per epoch over ds's rows in their
 * order; hp->batch is ignored, and FedProx, SCAFFOLD and DP-SGD are
 * FL_EUSAGE.  A loss that becomes NaN or Inf is FL_ENUM.  Errors:
 * FL_ENOMEM, FL_ENUM, FL_EUSAGE (empty dataset, d mismatch).
 */
int		 fl_train(struct fl_model *m, const struct fl_dataset *ds,
		    const struct fl_hparams *hp, struct fl_train_result *res,
		    struct fl_err *err);

/*
 * A test hook: the fast path's mean loss over n rows of X (n, d) and y (n)
 * plus l2/2 * |weights|^2, and its gradient into grad (nparams), computed
 * in float through be (NULL: the CPU) from m's parameters.  The same
 * definition as fl_ref_loss_grad, which tests compare it with.
 * Errors: FL_EUSAGE (n is 0, or a survival model: see fl_cox_loss_grad),
 * FL_ENUM (a label out of range), FL_ENOMEM.
 */
int		 fl_loss_grad(const struct fl_model *m, size_t n,
		    const float *X, const float *y, double l2,
		    const struct fl_backend *be, float *grad, double *loss,
		    struct fl_err *err);

/*
 * A test hook: the gradient one non-private fl_train step uses, at m's
 * parameters, over n rows of X (n, d) and y (n): the mean data loss's
 * gradient plus hp->l2 w (weights), hp->prox_mu (w - start) and
 * hp->correction, into grad (nparams); *loss gets the objective whose
 * gradient that is: the mean loss + l2/2 |W|^2 + prox_mu/2 |w - start|^2 +
 * <correction, w>.  start (nparams) may be NULL when prox_mu is 0.
 * Errors: those of fl_loss_grad.
 */
int		 fl_step_grad(const struct fl_model *m, size_t n,
		    const float *X, const float *y,
		    const struct fl_hparams *hp, const float *start,
		    float *grad, double *loss, struct fl_err *err);

/* 1 when m's loss is a sum over rows, so that per-row gradients exist and
 * DP-SGD applies; 0 otherwise (a head that couples rows). */
int		 fl_dp_sgd_supported(const struct fl_model *m);

/*
 * The privacy of fl_train's DP-SGD on n rows with hp (batch, epochs,
 * dp_noise): q = min(batch, n) / n, steps = epochs * ceil(n / batch),
 * sigma = dp_noise, epsilon at delta from the RDP accountant
 * (fl_dp_rdp_add, fl_dp_epsilon), which treats the shuffled fixed-size
 * batches as Poisson sampling with rate q.  Errors: FL_EUSAGE (no rows,
 * no noise, delta not in (0, 1)), FL_ENOMEM.
 */
struct fl_dp_sgd {
	double	epsilon, delta, q, sigma, clip, order;
	size_t	steps;
};
int		 fl_dp_sgd_account(size_t n, const struct fl_hparams *hp,
		    double delta, struct fl_dp_sgd *out, struct fl_err *err);

/*
 * SCAFFOLD's site state (lib/train/scaffold.c), kept in a local file between
 * rounds: an archive of kind "state" (see fl-train(1)) bound to the
 * model's spec, features and label.  fl_scaffold_load reads c_i (nparams,
 * malloc'd, the caller frees) from path, zeros when path does not exist;
 * when the state was last written after training model_id, the c_i it
 * started from is returned, so that training the same model again gives
 * the same update.  Errors: FL_EIO, FL_EFORMAT, FL_ESHAPE (another
 * model), FL_ENOMEM.
 */
int		 fl_scaffold_load(const char *path, const struct fl_model *m,
		    const char *model_id, float **ci, struct fl_err *err);
/* Write the state atomically: ci_new, and ci (what it replaces) with
 * model_id, the model trained.  Errors: FL_EIO, FL_ENOMEM. */
int		 fl_scaffold_save(const char *path, const struct fl_model *m,
		    const char *model_id, const float *ci, const float *ci_new,
		    struct fl_err *err);
/* Option II of Karimireddy et al. (2020): ci_new = ci - c + (x - y) /
 * (steps lr), from the received parameters x and trained y; every vector
 * is (n), computed in double. */
void		 fl_scaffold_update(size_t n, const float *ci, const float *c,
		    const float *x, const float *y, size_t steps, double lr,
		    float *ci_new);

/* Model outputs for every row: out is (n, noutputs): the probability of
 * class 1 (binary), the class probabilities (multiclass) or the predicted
 * value (regression).  be may be NULL.  Errors: FL_ENOMEM, FL_EUSAGE. */
int		 fl_predict(const struct fl_model *m, const struct fl_dataset *ds,
		    const struct fl_backend *be, float *out, struct fl_err *err);

/* The fast path's loss and gradient (sorted risk sets, gemm through be,
 * NULL for the CPU), the same definition.  Errors: FL_EUSAGE, FL_ENOMEM. */
int		 fl_cox_loss_grad(const struct fl_model *m, size_t n,
		    const float *X, const float *time, const float *event,
		    double l2, const struct fl_backend *be, float *grad,
		    double *loss, struct fl_err *err);

#include "train/newton.h"

#endif /* FL_LIB_TRAIN_H */
