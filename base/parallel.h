/* parallel.h - run n independent jobs on a bounded number of threads,
 * stopping at the first failure (later jobs are not started). */
#ifndef CBUILD_BASE_PARALLEL_H
#define CBUILD_BASE_PARALLEL_H

#include <stddef.h>

#include "error.h"

/* One job; fails like any function: < 0 with *err set. */
typedef int (*cb_job_fn)(void *userdata, size_t index, struct cb_err **err);

/* Run fn(userdata, i) for i in [0, n) on at most threads threads (the
 * caller's thread included; threads <= 1 runs them in order).  Returns 0,
 * or the first failure's code with its error in *err. */
int cb_parallel(size_t n, int threads, cb_job_fn fn, void *userdata, struct cb_err **err);

#endif
