/*
 * fmetrics.h — the fetcher's Prometheus series (fmetrics.c).
 */
#ifndef KCRAWL_FMETRICS_H
#define KCRAWL_FMETRICS_H

#include "fetcher_int.h"

void fmetrics_register(fmetrics_t *m);
/* Index of an HTTP status's class (1xx..5xx; else "none"). */
int fmetrics_status_class(long status);
/* Publishes the levels and counts the loop keeps, once a turn. */
void fmetrics_update(fetcher_t *f);

#endif /* KCRAWL_FMETRICS_H */
