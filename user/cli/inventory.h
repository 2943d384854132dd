/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* credwatch inventory: the runtime credential inventory, from the provenance store. */
#ifndef CW_INVENTORY_H
#define CW_INVENTORY_H

#include <stdint.h>
#include <stdio.h>

#include "judge/provenance.h"

enum cw_inv_format {
	CW_INV_TABLE, /* aligned columns for a person, most recently seen first */
	CW_INV_JSON,  /* one JSON object per credential per line, same order */
};

/* Table cells longer than this many columns are cut with an ellipsis. */
#define CW_INV_MAX_LINE 160

/*
 * Write the inventory of p to out; now (unix seconds) gives the ages. An empty store prints
 * "no credentials recorded in FILE" (table) or nothing (json). 0, or -errno when out fails.
 */
int cw_inventory_write(FILE *out, const struct cw_provenance *p, enum cw_inv_format fmt,
		       int64_t now);

/* The table (inventory_table.c) of the n credentials v, in that order. 0 or -ENOMEM. */
int cw_inventory_table(FILE *out, const struct cw_prov_cred *const *v, size_t n, int64_t now);
/* Whole days since the credential was first seen. */
int64_t cw_inventory_age_days(const struct cw_prov_cred *c, int64_t now);

#endif
