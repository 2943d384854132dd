// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The compiled-database cache (see dbcache.h): one file per rule set, written to a temporary
 * name and renamed in place, read back mapped, checked field by field, the oldest pruned.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect/dbcache.h"
#include "util/fileio.h"

#define MAGIC "CWHSDB1" /* 8 bytes with the NUL */

static char dir_buf[4096];

const char *cw_dbcache_dir(void)
{
	const char *env = getenv("CREDWATCH_CACHE_DIR"), *xdg, *home;

	if (env)
		return *env ? env : NULL;
	if (geteuid() == 0)
		return "/var/cache/credwatch";
	xdg = getenv("XDG_CACHE_HOME");
	home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(dir_buf, sizeof(dir_buf), "%s/credwatch", xdg);
	else if (home && *home)
		snprintf(dir_buf, sizeof(dir_buf), "%s/.cache/credwatch", home);
	else
		return NULL;
	return dir_buf;
}

static int path_for(const unsigned char key[CW_DBCACHE_KEY_LEN], char *out, size_t cap)
{
	const char *dir = cw_dbcache_dir();
	char hex[2 * CW_DBCACHE_KEY_LEN + 1];

	if (!dir)
		return -ENOENT;
	for (int i = 0; i < CW_DBCACHE_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (snprintf(out, cap, "%s/rules-%.32s.hsdb", dir, hex) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

/* The cache file, mapped: its pages are in the page cache, mapping them copies nothing. */
static int map_all(const char *path, char **buf, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0 || st.st_size > (256 << 20)) {
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

/* Layout: magic, key, u64 nrules, engine[n], width[n] (u32), u64 blen, bdb, u64 slen, sdb. */
struct reader {
	const char *p, *end;
};

static int take(struct reader *r, void *dst, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -EINVAL;
	memcpy(dst, r->p, n);
	r->p += n;
	return 0;
}

static int take_db(struct reader *r, hs_database_t **db)
{
	uint64_t n;

	*db = NULL;
	if (take(r, &n, sizeof(n)) || (uint64_t)(r->end - r->p) < n)
		return -EINVAL;
	if (n && hs_deserialize_database(r->p, (size_t)n, db) != HS_SUCCESS)
		return -EINVAL; /* corrupt, or built for another CPU */
	r->p += n;
	return 0;
}

int cw_dbcache_load(const unsigned char key[CW_DBCACHE_KEY_LEN], size_t nrules,
		    struct cw_dbcache_entry *out)
{
	unsigned char fkey[CW_DBCACHE_KEY_LEN];
	char path[4200], magic[8], *buf = NULL;
	struct reader r;
	uint64_t n;
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = path_for(key, path, sizeof(path));
	if (!ret)
		ret = map_all(path, &buf, &len);
	if (ret)
		return ret;
	r = (struct reader){ buf, buf + len };
	ret = -EINVAL;
	if (take(&r, magic, sizeof(magic)) || memcmp(magic, MAGIC, sizeof(magic)) ||
	    take(&r, fkey, sizeof(fkey)) || memcmp(fkey, key, sizeof(fkey)) ||
	    take(&r, &n, sizeof(n)) || n != nrules)
		goto out;
	out->n = nrules;
	out->engine = calloc(nrules + 1, 1);
	out->width = calloc(nrules + 1, sizeof(uint32_t));
	if (!out->engine || !out->width || take(&r, out->engine, nrules) ||
	    take(&r, out->width, nrules * sizeof(uint32_t)) || take_db(&r, &out->bdb) ||
	    take_db(&r, &out->sdb) || r.p != r.end || !out->bdb != !out->sdb)
		goto out;
	ret = 0;
out:
	munmap(buf, len);
	if (ret) {
		hs_free_database(out->bdb);
		hs_free_database(out->sdb);
		free(out->engine);
		free(out->width);
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

static int put_db(int fd, const hs_database_t *db)
{
	char *bytes = NULL;
	size_t len = 0;
	uint64_t n;
	int ret;

	if (db && hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
		return -EINVAL;
	n = len;
	ret = cw_write_all(fd, &n, sizeof(n));
	if (!ret && len)
		ret = cw_write_all(fd, bytes, len);
	free(bytes);
	return ret;
}

#define KEEP_FILES 8

/* Keep the newest KEEP_FILES databases: each rule set edit leaves one behind. */
static void prune(const char *dir)
{
	struct {
		char name[300];
		time_t mtime;
	} f[64];
	size_t n = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp)) && n < 64) {
		char p[4400];
		struct stat st;

		if (strncmp(d->d_name, "rules-", 6) || !strstr(d->d_name, ".hsdb") ||
		    strstr(d->d_name, ".tmp"))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, d->d_name) >= (int)sizeof(p) ||
		    stat(p, &st))
			continue;
		snprintf(f[n].name, sizeof(f[n].name), "%s", d->d_name);
		f[n++].mtime = st.st_mtime;
	}
	closedir(dp);
	while (n > KEEP_FILES) {
		size_t old = 0;
		char p[4400];

		for (size_t i = 1; i < n; i++)
			if (f[i].mtime < f[old].mtime)
				old = i;
		if (snprintf(p, sizeof(p), "%s/%s", dir, f[old].name) < (int)sizeof(p))
			unlink(p);
		f[old] = f[--n];
	}
}

void cw_dbcache_store(const unsigned char key[CW_DBCACHE_KEY_LEN],
		      const struct cw_dbcache_entry *in)
{
	const char *dir = cw_dbcache_dir();
	char path[4200], tmp[4300];
	uint64_t n = in->n;
	int fd, ret;

	if (!dir || path_for(key, path, sizeof(path)))
		return;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ret = cw_write_all(fd, MAGIC, 8);
	if (!ret)
		ret = cw_write_all(fd, key, CW_DBCACHE_KEY_LEN);
	if (!ret)
		ret = cw_write_all(fd, &n, sizeof(n));
	if (!ret)
		ret = cw_write_all(fd, in->engine, in->n);
	if (!ret)
		ret = cw_write_all(fd, in->width, in->n * sizeof(uint32_t));
	if (!ret)
		ret = put_db(fd, in->bdb);
	if (!ret)
		ret = put_db(fd, in->sdb);
	if (close(fd) || ret || rename(tmp, path))
		unlink(tmp);
	else
		prune(dir);
}
