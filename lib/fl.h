/*
 * fl.h: the public interface of libfl, the library behind the fl tools.
 * Every tool in cmd/ is a thin front end over these functions.  The library
 * never prints on its own (it writes only to streams it is handed) and never
 * exits; the tools' command-line helpers are in cmd/cli.h.  A function that
 * can fail returns 0 or a negative FL_E* code and fills a caller-provided
 * struct fl_err.  The archive format is specified in
 * man/fl-archive.5.
 */
#ifndef FL_H
#define FL_H

#include "core/core.h"	/* errors, exit codes, atomic files, the seeded generator */
#include "format/format.h"	/* archives, safetensors, manifests, directories, CSV */
#include "trust/trust.h"	/* keys, signatures, trust folders and their roles, sealing, sealed readers, lineage */
#include "model/model.h"	/* models and their layer table, model archives, datasets, state vectors, the survival model */
#include "compute/compute.h"	/* backends and their ops, the reference and the BLAS path */
#include "privacy/privacy.h"	/* the RDP accountant and the one noise source */
#include "train/train.h"	/* the training loop, its heads and optimisers, SCAFFOLD at a site, prediction */
#include "stats/stats.h"	/* column statistics, metrics, survival metrics, federated evaluation */
#include "federation/federation.h"	/* aggregation, the strategy table, combining archives, the baseline hazard */

#endif /* FL_H */
