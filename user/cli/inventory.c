// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch inventory: what the provenance store knows, per credential, most recently seen
 * first, as JSON lines or a table (inventory_table.c). It only reads the store the agent
 * writes, so it needs no BPF and changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/inventory.h"
#include "util/json_writer.h"
#include "util/log.h"

#define SEC_PER_DAY 86400

/* ISO 8601 of unix seconds; cw_json_timestamp takes nanoseconds, which end in 2262. */
static void iso(char out[32], int64_t sec)
{
	const int64_t lim = INT64_MAX / 1000000000LL;

	if (sec < 0)
		sec = 0;
	if (sec > lim)
		sec = lim;
	cw_json_timestamp(out, sec * 1000000000LL);
}

int64_t cw_inventory_age_days(const struct cw_prov_cred *c, int64_t now)
{
	return now > c->first_seen ? (now - c->first_seen) / SEC_PER_DAY : 0;
}

/* Most recently seen first; equal times keep the store's recency order. */
struct ranked {
	const struct cw_prov_cred *c;
	size_t rank;
};

static int by_last_seen(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->c->last_seen != y->c->last_seen)
		return x->c->last_seen > y->c->last_seen ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* The credentials in the order they are shown, *n of them; NULL when out of memory. */
static const struct cw_prov_cred **sorted(const struct cw_provenance *p, size_t *n)
{
	struct ranked *v = calloc(p->n ? p->n : 1, sizeof(*v));
	const struct cw_prov_cred **out = calloc(p->n ? p->n : 1, sizeof(*out));
	const struct cw_prov_cred *c;
	size_t i = 0;

	if (!v || !out) {
		free(v);
		free(out);
		return NULL;
	}
	for (c = cw_prov_first(p); c && i < p->n; c = cw_prov_next(p, c), i++) {
		v[i].c = c;
		v[i].rank = i;
	}
	qsort(v, i, sizeof(*v), by_last_seen);
	for (size_t k = 0; k < i; k++)
		out[k] = v[k].c;
	free(v);
	*n = i;
	return out;
}

static void cred_json(struct cw_json *j, const struct cw_prov_cred *c, int64_t now)
{
	char ts[32];

	cw_json_obj_begin(j);
	cw_json_kobj(j, "credential");
	cw_json_kstr(j, "fingerprint", c->fingerprint);
	cw_json_kstr(j, "rule", c->rule);
	cw_json_kstr(j, "kind", c->kind);
	cw_json_kstr(j, "lifetime", c->lifetime);
	cw_json_kstr(j, "redacted", c->redacted);
	cw_json_obj_end(j);
	iso(ts, c->first_seen);
	cw_json_kstr(j, "first_seen", ts);
	iso(ts, c->last_seen);
	cw_json_kstr(j, "last_seen", ts);
	cw_json_kint(j, "age_days", cw_inventory_age_days(c, now));

	cw_json_key(j, "origins");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->norigins; i++) {
		const struct cw_prov_origin *o = &c->origins[i];

		cw_json_obj_begin(j);
		cw_json_kstr(j, "workload", o->workload);
		cw_json_kstr(j, "source", cw_prov_source_name(o->source));
		cw_json_kstr(j, "detail", o->detail);
		iso(ts, o->first_seen);
		cw_json_kstr(j, "first_seen", ts);
		iso(ts, o->last_seen);
		cw_json_kstr(j, "last_seen", ts);
		cw_json_kuint(j, "count", o->count);
		cw_json_kbool(j, "owner", !o->not_owner);
		cw_json_obj_end(j);
	}
	cw_json_arr_end(j);

	cw_json_key(j, "loaders");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->norigins; i++)
		if (cw_prov_first_of_workload(c, i, NULL))
			cw_json_str(j, c->origins[i].workload);
	cw_json_arr_end(j);

	cw_json_key(j, "users");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < c->nuses; i++) {
		const struct cw_prov_use *u = &c->uses[i];

		cw_json_obj_begin(j);
		cw_json_kstr(j, "workload", u->workload);
		cw_json_kstr(j, "destination", u->destination);
		iso(ts, u->first_seen);
		cw_json_kstr(j, "first_seen", ts);
		iso(ts, u->last_seen);
		cw_json_kstr(j, "last_seen", ts);
		cw_json_kuint(j, "count", u->count);
		cw_json_obj_end(j);
	}
	cw_json_arr_end(j);
	/* Origins and uses beyond the per-credential limit: counted, not kept. */
	cw_json_kuint(j, "origins_dropped", c->origins_dropped);
	cw_json_kuint(j, "uses_dropped", c->uses_dropped);
	cw_json_obj_end(j);
}

static int write_json(FILE *out, const struct cw_prov_cred *const *v, size_t n, int64_t now)
{
	struct cw_json j;
	int ret = 0;

	cw_json_init(&j);
	for (size_t i = 0; i < n && !ret; i++) {
		cw_json_reset(&j);
		cred_json(&j, v[i], now);
		if (j.oom) {
			ret = -ENOMEM;
			break;
		}
		fwrite(j.buf, 1, j.len, out);
		fputc('\n', out);
	}
	cw_json_free(&j);
	return ret;
}

int cw_inventory_write(FILE *out, const struct cw_provenance *p, enum cw_inv_format fmt,
		       int64_t now)
{
	const struct cw_prov_cred **v;
	size_t n = 0;
	int ret;

	if (!p->n) {
		if (fmt == CW_INV_TABLE)
			fprintf(out, "no credentials recorded in %s\n",
				p->path ? p->path : "(memory)");
		return ferror(out) ? -EIO : 0;
	}
	v = sorted(p, &n);
	if (!v)
		return -ENOMEM;
	ret = fmt == CW_INV_JSON ? write_json(out, v, n, now) : cw_inventory_table(out, v, n, now);
	free(v);
	errno = 0;
	if (!ret && (fflush(out) || ferror(out)))
		ret = errno ? -errno : -EIO;
	return ret;
}

static void inventory_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch inventory [OPTIONS]\n"
		"\n"
		"The runtime credential inventory: every credential the agent has seen (by\n"
		"keyed fingerprint, never the secret), where it lives (file, environment\n"
		"variable, command line), which workloads loaded it, which sent it and where,\n"
		"first and last seen, age. Read from the store the running agent writes every\n"
		"few seconds and when it stops.\n"
		"\n"
		"  --state FILE          the provenance store\n"
		"                        (default " CW_PROV_DEFAULT_FILE ")\n"
		"  --format table|json   aligned columns, most recently seen first (default),\n"
		"                        or one JSON object per credential per line\n"
		"  -h, --help            this text\n"
		"\n"
		"In the table, USED BY reads WORKLOAD->DESTINATION xCOUNT, and \"(+N more)\"\n"
		"counts sources or uses past the %d kept per credential.\n"
		"\n"
		"Exit status: 0 ok (also when nothing is recorded yet), 2 error (unreadable or\n"
		"corrupt store, bad option).\n"
		"\n"
		"EXAMPLES\n"
		"  sudo credwatch inventory                  what this host's agent has seen\n"
		"  sudo credwatch inventory --format json | jq 'select(.age_days > 90)'\n"
		"  credwatch inventory --state ./provenance.json --format json\n",
		CW_PROV_ORIGINS_MAX);
}

int cw_cmd_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum cw_inv_format fmt = CW_INV_TABLE;
	const char *state = CW_PROV_DEFAULT_FILE;
	struct cw_provenance p;
	char err[1024];
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state = optarg; break;
		case 'f':
			if (!strcmp(optarg, "table")) {
				fmt = CW_INV_TABLE;
			} else if (!strcmp(optarg, "json")) {
				fmt = CW_INV_JSON;
			} else {
				cw_log("--format: '%s' is not table or json", optarg);
				return 2;
			}
			break;
		case 'h': inventory_usage(stdout); return 0;
		default: inventory_usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		cw_log("inventory: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	/* No limit: show all the agent kept, whatever its own limit was. */
	ret = cw_prov_open(&p, state, SIZE_MAX, err, sizeof(err));
	if (ret) {
		cw_log("%s%s", err, ret == -EACCES ? " (the agent's state is for root only)" : "");
		return 2;
	}
	if (!p.n && fmt == CW_INV_JSON)
		cw_log("no credentials recorded in %s", state);
	ret = cw_inventory_write(stdout, &p, fmt, (int64_t)time(NULL));
	cw_prov_close(&p);
	if (ret) {
		cw_log("inventory: %s", strerror(-ret));
		return 2;
	}
	return 0;
}
