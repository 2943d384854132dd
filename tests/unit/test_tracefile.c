// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"
#include "testutil.h"
#include "util/tracefile.h"

/* Records with random bytes (zlib stores them nearly as they are) spread over many chunks. */
#define NREC 1200

struct rec {
	uint16_t type;
	uint64_t ts;
	uint8_t *data;
	uint32_t len;
};

struct fixture {
	char dir[256];
	char plain[300], sealed[300], priv[300], pub[300];
	struct rec recs[NREC];
	struct cw_trace_key *priv_key, *pub_key;
};

static const struct cw_trace_header HDR = { .host = "node-7",
					    .kernel = "6.1.0-test",
					    .boot_id = "0b1d2c3e-aaaa-bbbb-cccc-000000000001",
					    .version = "0.9.0",
					    .rules_digest = "sha256:abc",
					    .start_ns = 1700000000000000000ull };

/* Warnings collected: how many, and the offsets they named. */
struct warns {
	unsigned n;
	uint64_t off[64];
	char last[256];
};

static void on_warn(void *arg, uint64_t off, const char *msg)
{
	struct warns *w = arg;

	if (w->n < 64)
		w->off[w->n] = off;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static int write_trace(const char *path, const struct rec *recs, size_t n,
		       const struct cw_trace_key *key)
{
	struct cw_trace_writer *w;
	char err[256];
	int ret = cw_trace_writer_open(path, &HDR, key, &w, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "    %s\n", err);
		return ret;
	}
	for (size_t i = 0; i < n && !ret; i++)
		ret = cw_trace_write(w, recs[i].type, recs[i].ts, recs[i].data, recs[i].len);
	if (ret) {
		cw_trace_writer_close(w, err, sizeof(err));
		return ret;
	}
	return cw_trace_writer_close(w, err, sizeof(err));
}

static int setup(struct fixture *f)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	if (tu_mkdtemp(f->dir, sizeof(f->dir)))
		return -1;
	snprintf(f->plain, sizeof(f->plain), "%s/plain.cwtrace", f->dir);
	snprintf(f->sealed, sizeof(f->sealed), "%s/sealed.cwtrace", f->dir);
	snprintf(f->priv, sizeof(f->priv), "%s/trace.key", f->dir);
	snprintf(f->pub, sizeof(f->pub), "%s/trace.pub", f->dir);
	tu_seed(17);
	for (size_t i = 0; i < NREC; i++) {
		struct rec *r = &f->recs[i];

		r->type = (uint16_t)(i % 9);
		/* Not monotonic: events from several CPUs arrive a little out of order. */
		r->ts = 5000 + i * 100 + tu_below(150);
		r->len = (uint32_t)(i % 50 == 0 ? 0 : tu_below(2600));
		r->data = malloc(r->len ? r->len : 1);
		if (!r->data)
			return -1;
		tu_rand_bytes(r->data, r->len);
	}
	if (cw_trace_keygen(f->priv, f->pub, err, sizeof(err)) ||
	    cw_trace_key_load(f->priv, &f->priv_key, err, sizeof(err)) ||
	    cw_trace_key_load(f->pub, &f->pub_key, err, sizeof(err))) {
		fprintf(stderr, "    %s\n", err);
		return -1;
	}
	if (write_trace(f->plain, f->recs, NREC, NULL) ||
	    write_trace(f->sealed, f->recs, NREC, f->pub_key))
		return -1;
	return 0;
}

static void teardown(struct fixture *f)
{
	for (size_t i = 0; i < NREC; i++)
		free(f->recs[i].data);
	cw_trace_key_free(f->priv_key);
	cw_trace_key_free(f->pub_key);
	tu_rmtree(f->dir);
}

/*
 * Read every record of path and compare with the expected ones, in order, skipping the
 * records of chunks [skip_from, skip_to) of the full file's chunk list. The count read, or -1
 * when opening failed or a record differs.
 */
static long read_check(const char *path, const struct cw_trace_key *key, const struct rec *recs,
		       size_t first_skipped, size_t nskipped, struct warns *w)
{
	struct cw_trace_reader *r;
	struct cw_trace_record rec;
	char err[256];
	size_t i = 0;
	long n = 0;
	int ret;

	if (cw_trace_reader_open(path, key, on_warn, w, &r, err, sizeof(err))) {
		fprintf(stderr, "    %s\n", err);
		return -1;
	}
	while ((ret = cw_trace_next(r, &rec)) == 1) {
		if (i == first_skipped)
			i += nskipped;
		if (i >= NREC || rec.type != recs[i].type || rec.ts_ns != recs[i].ts ||
		    rec.len != recs[i].len || memcmp(rec.data, recs[i].data, rec.len)) {
			fprintf(stderr, "    record %zu differs\n", i);
			n = -1;
			break;
		}
		i++;
		n++;
	}
	if (ret < 0)
		n = -1;
	cw_trace_reader_close(r);
	return n;
}

/* The chunk list of a file (from its footer), copied out. */
static size_t chunks_of(const char *path, const struct cw_trace_key *key,
			struct cw_trace_chunk *out, size_t cap)
{
	struct cw_trace_reader *r;
	const struct cw_trace_chunk *c;
	char err[256];
	size_t n = 0;

	if (cw_trace_reader_open(path, key, NULL, NULL, &r, err, sizeof(err)))
		return 0;
	if (!cw_trace_chunks(r, &c, &n)) {
		n = n < cap ? n : cap;
		memcpy(out, c, n * sizeof(*c));
	}
	cw_trace_reader_close(r);
	return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;

	if (stat(path, &st))
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf && tu_read_file(path, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)st.st_size;
	return buf;
}

static void put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

TEST(tracefile_round_trip_plain_and_encrypted)
{
	struct fixture f;
	struct cw_trace_chunk c[64];
	struct warns w = { 0 };
	struct stat st;
	size_t n;

	REQUIRE(setup(&f) == 0);
	CHECK_EQ_INT(read_check(f.plain, NULL, f.recs, NREC, 0, &w), NREC);
	CHECK_EQ_INT(read_check(f.sealed, f.priv_key, f.recs, NREC, 0, &w), NREC);
	CHECK_EQ_INT(w.n, 0);
	n = chunks_of(f.plain, NULL, c, 64);
	CHECK(n >= 5); /* ~1.6 MB of records in chunks of 256 KiB */
	CHECK_EQ_INT(chunks_of(f.sealed, f.priv_key, c, 64), n);
	CHECK(stat(f.plain, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(f.sealed, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(f.priv, &st) == 0 && (st.st_mode & 0777) == 0600);
	teardown(&f);
}

TEST(tracefile_header_fields_read_back)
{
	struct fixture f;
	struct cw_trace_reader *r;
	const struct cw_trace_info *info;
	char err[256];

	REQUIRE(setup(&f) == 0);
	REQUIRE(cw_trace_reader_open(f.sealed, f.priv_key, NULL, NULL, &r, err, sizeof(err)) == 0);
	info = cw_trace_reader_info(r);
	CHECK_EQ_INT(info->version, CW_TRACE_VERSION);
	CHECK_EQ_STR(info->host, HDR.host);
	CHECK_EQ_STR(info->kernel, HDR.kernel);
	CHECK_EQ_STR(info->boot_id, HDR.boot_id);
	CHECK_EQ_STR(info->cw_version, HDR.version);
	CHECK_EQ_STR(info->rules_digest, HDR.rules_digest);
	CHECK(info->start_ns == HDR.start_ns);
	CHECK(info->encrypted);
	CHECK(info->indexed);
	cw_trace_reader_close(r);
	teardown(&f);
}

TEST(tracefile_writer_refuses_existing_file_and_reports_size)
{
	struct fixture f;
	struct cw_trace_writer *w;
	char err[256];
	struct stat st;
	uint8_t rec[1000] = { 0 };

	REQUIRE(setup(&f) == 0);
	CHECK_EQ_INT(cw_trace_writer_open(f.plain, &HDR, NULL, &w, err, sizeof(err)), -EEXIST);
	CHECK_EQ_INT(cw_trace_keygen(f.priv, f.pub, err, sizeof(err)), -EEXIST);
	snprintf(f.plain, sizeof(f.plain), "%s/sized.cwtrace", f.dir);
	REQUIRE(cw_trace_writer_open(f.plain, &HDR, NULL, &w, err, sizeof(err)) == 0);
	for (int i = 0; i < 600; i++) {
		tu_rand_bytes(rec, sizeof(rec)); /* incompressible: the file grows with them */
		CHECK(cw_trace_write(w, 1, (uint64_t)i, rec, sizeof(rec)) == 0);
	}
	CHECK(cw_trace_writer_size(w) > 600 * sizeof(rec) / 2);
	CHECK(cw_trace_flush(w) == 0);
	CHECK(stat(f.plain, &st) == 0 && (uint64_t)st.st_size == cw_trace_writer_size(w));
	CHECK_EQ_INT(cw_trace_write(w, 1, 1, rec, CW_TRACE_MAX_RECORD + 1), -EFBIG);
	CHECK(cw_trace_writer_close(w, err, sizeof(err)) == 0);
	teardown(&f);
}

/* Cut the file at every chunk boundary and in the middle of every chunk. */
static void check_truncations(struct fixture *f, const char *path, const struct cw_trace_key *key)
{
	struct cw_trace_chunk c[64];
	char cut[300];
	size_t n = chunks_of(path, key, c, 64), len;
	uint8_t *buf = slurp(path, &len);
	long before = 0;

	REQUIRE(buf && n >= 2);
	snprintf(cut, sizeof(cut), "%s/cut.cwtrace", f->dir);
	for (size_t i = 0; i <= n; i++) {
		uint64_t start = i < n ? c[i].offset : len - 30; /* last: inside the footer */
		uint64_t mid = i < n ? (start + (i + 1 < n ? c[i + 1].offset : len)) / 2 : len - 1;
		struct warns w = { 0 };

		unlink(cut);
		REQUIRE(tu_write_file(cut, buf, start, 0600) == 0);
		CHECK_EQ_INT(read_check(cut, key, f->recs, NREC, 0, &w), before);
		CHECK_EQ_INT(w.n, i < n ? 0 : 1);
		unlink(cut);
		REQUIRE(tu_write_file(cut, buf, mid, 0600) == 0);
		memset(&w, 0, sizeof(w));
		CHECK_EQ_INT(read_check(cut, key, f->recs, NREC, 0, &w), before);
		CHECK_EQ_INT(w.n, 1); /* "cut off", naming the chunk */
		if (i < n)
			CHECK(w.off[0] == start);
		if (i < n)
			before += c[i].records;
	}
	CHECK_EQ_INT(before, NREC);
	free(buf);
}

TEST(tracefile_truncated_reads_every_complete_chunk)
{
	struct fixture f;

	REQUIRE(setup(&f) == 0);
	check_truncations(&f, f.plain, NULL);
	check_truncations(&f, f.sealed, f.priv_key);
	teardown(&f);
}

TEST(tracefile_truncated_without_footer_lists_chunks_by_scan)
{
	struct fixture f;
	struct cw_trace_chunk full[64];
	struct cw_trace_reader *r;
	const struct cw_trace_chunk *c;
	char cut[300], err[256];
	size_t n = 0, nfull, len;
	uint8_t *buf;

	REQUIRE(setup(&f) == 0);
	nfull = chunks_of(f.plain, NULL, full, 64);
	buf = slurp(f.plain, &len);
	REQUIRE(buf && nfull >= 3);
	snprintf(cut, sizeof(cut), "%s/cut.cwtrace", f.dir);
	REQUIRE(tu_write_file(cut, buf, full[2].offset + 100, 0600) == 0);
	REQUIRE(cw_trace_reader_open(cut, NULL, NULL, NULL, &r, err, sizeof(err)) == 0);
	CHECK(!cw_trace_reader_info(r)->indexed);
	CHECK(cw_trace_chunks(r, &c, &n) == 0);
	CHECK_EQ_INT(n, 2);
	for (size_t i = 0; i < n && i < 2; i++)
		CHECK(!memcmp(&c[i], &full[i], sizeof(*c)));
	cw_trace_reader_close(r);
	free(buf);
	teardown(&f);
}

/* Flip one byte at off in a copy of path; when fix_crc, recompute chunk k's stored CRC. */
static int corrupt_copy(const char *path, const char *out, uint64_t off,
			const struct cw_trace_chunk *fix)
{
	size_t len;
	uint8_t *buf = slurp(path, &len);
	int ret;

	if (!buf || off >= len)
		return -1;
	buf[off] ^= 0x5a;
	if (fix) {
		uint8_t *fr = buf + fix->offset;
		uint32_t stored = fr[8] | fr[9] << 8 | fr[10] << 16 | (uint32_t)fr[11] << 24;

		put32le(fr + 36, (uint32_t)crc32(0, fr + 44, stored));
		put32le(fr + 40, (uint32_t)crc32(0, fr, 40));
	}
	unlink(out);
	ret = tu_write_file(out, buf, len, 0600);
	free(buf);
	return ret;
}

static void check_flip(struct fixture *f, const char *path, const struct cw_trace_key *key,
		       size_t k, uint64_t delta, bool fix_crc, const char *why)
{
	struct cw_trace_chunk c[64];
	struct warns w = { 0 };
	char bad[300];
	size_t n = chunks_of(path, key, c, 64), first = 0;

	REQUIRE(n > k + 1);
	for (size_t i = 0; i < k; i++)
		first += c[i].records;
	snprintf(bad, sizeof(bad), "%s/bad.cwtrace", f->dir);
	REQUIRE(corrupt_copy(path, bad, c[k].offset + delta, fix_crc ? &c[k] : NULL) == 0);
	CHECK_EQ_INT(read_check(bad, key, f->recs, first, c[k].records, &w), NREC - c[k].records);
	CHECK_EQ_INT(w.n, 1);
	CHECK(w.off[0] == c[k].offset);
	CHECK_CONTAINS(w.last, why);
}

TEST(tracefile_corrupt_chunk_is_skipped_with_its_offset)
{
	struct fixture f;

	REQUIRE(setup(&f) == 0);
	/* A byte of the stored data: the CRC catches it. */
	check_flip(&f, f.plain, NULL, 2, 44 + 5000, false, "CRC mismatch");
	check_flip(&f, f.sealed, f.priv_key, 1, 44 + 7, false, "CRC mismatch");
	/* The frame header: resync at the next chunk's magic. */
	check_flip(&f, f.plain, NULL, 3, 9, false, "no valid chunk");
	/* Ciphertext changed and its CRC recomputed: the GCM tag catches it. */
	check_flip(&f, f.sealed, f.priv_key, 2, 44 + 100, true, "authentication failed");
	/* The frame's sealed fields (the AAD), CRCs recomputed: the tag catches that too. */
	check_flip(&f, f.sealed, f.priv_key, 2, 20, true, "authentication failed");
	teardown(&f);
}

TEST(tracefile_seek_by_time_uses_the_index)
{
	struct fixture f;
	struct cw_trace_chunk c[64];
	struct cw_trace_reader *r;
	struct cw_trace_record rec;
	char err[256];
	size_t n, first = 0;

	REQUIRE(setup(&f) == 0);
	n = chunks_of(f.plain, NULL, c, 64);
	REQUIRE(n >= 4);
	for (size_t i = 0; i < 3; i++)
		first += c[i].records;
	REQUIRE(cw_trace_reader_open(f.plain, NULL, NULL, NULL, &r, err, sizeof(err)) == 0);
	/* A time past chunk 2's last record and within chunk 3: reading starts at chunk 3. */
	CHECK(cw_trace_seek(r, c[2].max_ts + 1) == 0);
	CHECK(c[3].max_ts > c[2].max_ts);
	REQUIRE(cw_trace_next(r, &rec) == 1);
	CHECK(rec.ts_ns == f.recs[first].ts && rec.len == f.recs[first].len);
	CHECK(cw_trace_seek(r, UINT64_MAX) == 0);
	CHECK_EQ_INT(cw_trace_next(r, &rec), 0);
	cw_trace_reader_close(r);
	teardown(&f);
}

static int open_err(const char *path, const struct cw_trace_key *key, char *err, size_t len)
{
	struct cw_trace_reader *r = NULL;
	int ret = cw_trace_reader_open(path, key, NULL, NULL, &r, err, len);

	cw_trace_reader_close(r);
	return ret;
}

TEST(tracefile_refuses_wrong_version_magic_and_empty)
{
	struct fixture f;
	char path[300], err[256];
	size_t len;
	uint8_t *buf;

	REQUIRE(setup(&f) == 0);
	buf = slurp(f.plain, &len);
	REQUIRE(buf);
	snprintf(path, sizeof(path), "%s/x.cwtrace", f.dir);

	buf[8] = CW_TRACE_VERSION + 1;
	REQUIRE(tu_write_file(path, buf, len, 0600) == 0);
	CHECK_EQ_INT(open_err(path, NULL, err, sizeof(err)), -EPROTONOSUPPORT);
	CHECK_CONTAINS(err, "version 2 is newer");
	CHECK_CONTAINS(err, "(version 1)");

	buf[8] = CW_TRACE_VERSION;
	buf[0] = 'X';
	REQUIRE(tu_write_file(path, buf, len, 0600) == 0);
	CHECK_EQ_INT(open_err(path, NULL, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "wrong magic");

	REQUIRE(tu_write_file(path, buf, 0, 0600) == 0);
	CHECK_EQ_INT(open_err(path, NULL, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "empty file");

	buf[0] = 'C';
	buf[30] ^= 1; /* inside the host name: the header CRC */
	REQUIRE(tu_write_file(path, buf, len, 0600) == 0);
	CHECK_EQ_INT(open_err(path, NULL, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "corrupt header");
	free(buf);
	teardown(&f);
}

TEST(tracefile_encrypted_needs_the_right_key)
{
	struct fixture f;
	struct cw_trace_key *other = NULL;
	char priv2[300], pub2[300], err[256];

	REQUIRE(setup(&f) == 0);
	CHECK_EQ_INT(open_err(f.sealed, NULL, err, sizeof(err)), -ENOKEY);
	CHECK_CONTAINS(err, "needs --key");
	CHECK_EQ_INT(open_err(f.sealed, f.pub_key, err, sizeof(err)), -ENOKEY);
	CHECK_CONTAINS(err, "not a private key");
	snprintf(priv2, sizeof(priv2), "%s/other.key", f.dir);
	snprintf(pub2, sizeof(pub2), "%s/other.pub", f.dir);
	REQUIRE(cw_trace_keygen(priv2, pub2, err, sizeof(err)) == 0);
	REQUIRE(cw_trace_key_load(priv2, &other, err, sizeof(err)) == 0);
	CHECK_EQ_INT(open_err(f.sealed, other, err, sizeof(err)), -EKEYREJECTED);
	CHECK_CONTAINS(err, "encrypted for another key");
	/* A plaintext trace reads with or without a key. */
	CHECK_EQ_INT(open_err(f.plain, other, err, sizeof(err)), 0);
	CHECK_EQ_INT(cw_trace_key_load(f.plain, &other, err, sizeof(err)), -EINVAL);
	cw_trace_key_free(other);
	teardown(&f);
}

TEST(tracefile_encrypted_file_holds_no_plaintext)
{
	struct fixture f;
	struct rec big[8];
	char plain_path[300], sealed_path[300];
	size_t plen = 0, slen = 0, hits_plain = 0, hits_sealed = 0;
	uint8_t *plain = NULL, *sealed = NULL;

	REQUIRE(setup(&f) == 0);
	/* 64 KiB of random bytes per record: zlib keeps them as stored blocks, verbatim. */
	for (size_t i = 0; i < 8; i++) {
		big[i] = (struct rec){ .type = 1, .ts = i, .len = 64 * 1024 };
		big[i].data = malloc(big[i].len);
		REQUIRE(big[i].data);
		tu_rand_bytes(big[i].data, big[i].len);
	}
	snprintf(plain_path, sizeof(plain_path), "%s/big-plain.cwtrace", f.dir);
	snprintf(sealed_path, sizeof(sealed_path), "%s/big-sealed.cwtrace", f.dir);
	if (write_trace(plain_path, big, 8, NULL) == 0 &&
	    write_trace(sealed_path, big, 8, f.pub_key) == 0) {
		plain = slurp(plain_path, &plen);
		sealed = slurp(sealed_path, &slen);
	}
	CHECK(plain && sealed);
	for (size_t i = 0; plain && sealed && i < 8; i++) {
		for (size_t at = 0; at + 64 <= big[i].len; at += 8000) {
			/* The plain file has them (so this check can fail); the sealed one not. */
			hits_plain += tu_contains(plain, plen, big[i].data + at, 64) ? 1 : 0;
			hits_sealed += tu_contains(sealed, slen, big[i].data + at, 64) ? 1 : 0;
		}
	}
	CHECK_EQ_INT(hits_plain, 8 * 9);
	CHECK_EQ_INT(hits_sealed, 0);
	/* The same for the fixture's records, and the header is in the clear. */
	free(sealed);
	sealed = slurp(f.sealed, &slen);
	REQUIRE(sealed);
	for (size_t i = 1; i < NREC; i++)
		if (f.recs[i].len >= 32 && tu_contains(sealed, slen, f.recs[i].data, 32))
			hits_sealed++;
	CHECK_EQ_INT(hits_sealed, 0);
	CHECK(tu_contains(sealed, slen, "sha256:abc", 10));
	for (size_t i = 0; i < 8; i++)
		free(big[i].data);
	free(plain);
	free(sealed);
	teardown(&f);
}

TEST(tracefile_encrypted_header_is_authenticated)
{
	struct fixture f;
	char path[300], err[256];
	size_t len;
	uint8_t *buf;
	uint32_t hlen;

	REQUIRE(setup(&f) == 0);
	buf = slurp(f.sealed, &len);
	REQUIRE(buf);
	hlen = buf[12] | buf[13] << 8 | buf[14] << 16 | (uint32_t)buf[15] << 24;
	REQUIRE(hlen > 30 && hlen < len);
	/* Another host name, with a header CRC to match: only the GCM tag can tell. */
	buf[26] = 'N';
	put32le(buf + hlen - 4, (uint32_t)crc32(0, buf, hlen - 4));
	snprintf(path, sizeof(path), "%s/x.cwtrace", f.dir);
	REQUIRE(tu_write_file(path, buf, len, 0600) == 0);
	CHECK_EQ_INT(open_err(path, f.priv_key, err, sizeof(err)), -EKEYREJECTED);
	CHECK_CONTAINS(err, "header tag does not verify");
	free(buf);
	teardown(&f);
}

TEST(tracefile_damaged_footer_falls_back_to_a_scan)
{
	struct fixture f;
	struct cw_trace_chunk c[64];
	struct cw_trace_reader *r;
	struct warns w = { 0 };
	char bad[300], err[256];
	size_t n, len;
	uint8_t *buf;

	REQUIRE(setup(&f) == 0);
	n = chunks_of(f.plain, NULL, c, 64);
	buf = slurp(f.plain, &len);
	REQUIRE(buf && n >= 2);
	free(buf);
	snprintf(bad, sizeof(bad), "%s/bad.cwtrace", f.dir);
	/* A byte of the footer's last entry (the trailer is the last 24 bytes). */
	REQUIRE(corrupt_copy(f.plain, bad, len - 24 - 10, NULL) == 0);
	REQUIRE(cw_trace_reader_open(bad, NULL, on_warn, &w, &r, err, sizeof(err)) == 0);
	CHECK(!cw_trace_reader_info(r)->indexed);
	CHECK_EQ_INT(w.n, 1);
	CHECK_CONTAINS(w.last, "footer index is damaged");
	cw_trace_reader_close(r);
	/* Every record still reads; the footer itself reads as the cut-off tail. */
	memset(&w, 0, sizeof(w));
	CHECK_EQ_INT(read_check(bad, NULL, f.recs, NREC, 0, &w), NREC);
	CHECK_EQ_INT(chunks_of(bad, NULL, c, 64), n);
	teardown(&f);
}

/*
 * Chunks packed outside the writer (the flight recorder's way) and chunks compressed by zlib's
 * compress2, as every file before the ISA-L encoder was: both read back record for record,
 * plaintext and encrypted, between records the writer packed itself.
 */
static int write_mixed(const char *path, const struct rec *recs, const struct cw_trace_key *key)
{
	struct cw_trace_packer *p;
	struct cw_trace_writer *w;
	uint8_t *raw = malloc(4 << 20), *z = malloc(cw_trace_pack_bound(4 << 20));
	char err[256];
	int ret = cw_trace_writer_open(path, &HDR, key, &w, err, sizeof(err));

	if (ret || !raw || !z || cw_trace_packer_new(&p)) {
		free(raw);
		free(z);
		return -1;
	}
	/* [0, 100) by the writer, [100, 400) packed by us, [400, 700) by zlib, the rest by it */
	for (size_t i = 0; i < 100 && !ret; i++)
		ret = cw_trace_write(w, recs[i].type, recs[i].ts, recs[i].data, recs[i].len);
	for (int part = 0; part < 2 && !ret; part++) {
		size_t from = 100 + 300 * (size_t)part, len = 0, zlen = 0;
		uint64_t lo = UINT64_MAX, hi = 0;
		uLongf clen = (uLongf)cw_trace_pack_bound(4 << 20);

		for (size_t i = from; i < from + 300; i++) {
			len += cw_trace_record_put(raw + len, recs[i].type, recs[i].ts,
						   recs[i].data, recs[i].len);
			lo = recs[i].ts < lo ? recs[i].ts : lo;
			hi = recs[i].ts > hi ? recs[i].ts : hi;
		}
		if (part == 0) {
			ret = cw_trace_pack(p, raw, len, z, cw_trace_pack_bound(len), &zlen);
		} else {
			ret = compress2(z, &clen, raw, (uLong)len, Z_BEST_SPEED) == Z_OK ? 0 : -EIO;
			zlen = clen;
		}
		if (!ret)
			ret = cw_trace_write_packed(w, z, zlen, (uint32_t)len, 300, lo, hi);
	}
	for (size_t i = 700; i < NREC && !ret; i++)
		ret = cw_trace_write(w, recs[i].type, recs[i].ts, recs[i].data, recs[i].len);
	cw_trace_packer_free(p);
	free(raw);
	free(z);
	return cw_trace_writer_close(w, err, sizeof(err)) || ret ? -1 : 0;
}

TEST(tracefile_packed_and_zlib_chunks_read_back)
{
	struct fixture f;
	struct warns w = { 0 };
	char mixed[320], mixed_sealed[320];

	REQUIRE(setup(&f) == 0);
	snprintf(mixed, sizeof(mixed), "%s/mixed.cwtrace", f.dir);
	snprintf(mixed_sealed, sizeof(mixed_sealed), "%s/mixed-sealed.cwtrace", f.dir);
	REQUIRE(write_mixed(mixed, f.recs, NULL) == 0);
	REQUIRE(write_mixed(mixed_sealed, f.recs, f.pub_key) == 0);
	CHECK_EQ_INT(read_check(mixed, NULL, f.recs, NREC, 0, &w), NREC);
	CHECK_EQ_INT(read_check(mixed_sealed, f.priv_key, f.recs, NREC, 0, &w), NREC);
	CHECK_EQ_INT(w.n, 0);
	teardown(&f);
}

TEST(tracefile_pack_round_trip_and_record_parsing)
{
	struct cw_trace_packer *p;
	struct cw_trace_record rec;
	uint8_t raw[3000], back[3000], z[4096], data[1000];
	size_t len = 0, zlen = 0, pos = 0;

	tu_seed(5);
	tu_rand_bytes(data, sizeof(data));
	REQUIRE(cw_trace_packer_new(&p) == 0);
	len += cw_trace_record_put(raw + len, 7, 123, data, sizeof(data));
	len += cw_trace_record_put(raw + len, 2, 99, NULL, 0);
	len += cw_trace_record_put(raw + len, 3, 1ull << 40, "abc", 3);
	CHECK_EQ_INT(len, 3 * CW_TRACE_REC_HDR + sizeof(data) + 3);
	CHECK(cw_trace_pack(p, raw, len, z, 10, &zlen) == -ENOSPC);
	REQUIRE(cw_trace_pack(p, raw, len, z, sizeof(z), &zlen) == 0);
	REQUIRE(cw_trace_unpack(z, zlen, back, len) == 0);
	CHECK(!memcmp(raw, back, len));
	CHECK(cw_trace_unpack(z, zlen, back, len - 1) == -EINVAL); /* sizes must agree */
	REQUIRE(cw_trace_record_get(back, len, &pos, &rec) == 1);
	CHECK(rec.type == 7 && rec.ts_ns == 123 && rec.len == sizeof(data));
	CHECK(!memcmp(rec.data, data, sizeof(data)));
	REQUIRE(cw_trace_record_get(back, len, &pos, &rec) == 1);
	CHECK(rec.type == 2 && rec.ts_ns == 99 && rec.len == 0);
	REQUIRE(cw_trace_record_get(back, len, &pos, &rec) == 1);
	CHECK(rec.type == 3 && rec.ts_ns == 1ull << 40 && rec.len == 3 &&
	      !memcmp(rec.data, "abc", 3));
	CHECK(cw_trace_record_get(back, len, &pos, &rec) == 0);
	pos = 0; /* a record cut short is malformed, never read past the buffer */
	CHECK(cw_trace_record_get(back, CW_TRACE_REC_HDR + 10, &pos, &rec) == -EINVAL);
	pos = 0;
	CHECK(cw_trace_record_get(back, 5, &pos, &rec) == -EINVAL);
	cw_trace_packer_free(p);
}
