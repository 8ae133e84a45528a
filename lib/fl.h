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

/* errors, exit codes, atomic files, the seeded generator */
#include "core/core.h"
/* archives, safetensors, manifests, directories, CSV */
#include "format/format.h"
/* keys, signatures, trust folders and their roles, sealing, lineage */
#include "trust/trust.h"
/* models, their layer table and archives, datasets, survival models */
#include "model/model.h"
/* backends and their ops, the reference and the BLAS path */
#include "compute/compute.h"
/* the RDP accountant and the one noise source */
#include "privacy/privacy.h"
/* the training loop, its heads and optimisers, SCAFFOLD, prediction */
#include "train/train.h"
/* column statistics, metrics, survival metrics, federated evaluation */
#include "stats/stats.h"
/* aggregation, the strategy table, combining archives, the baseline hazard */
#include "federation/federation.h"

#endif /* FL_H */
