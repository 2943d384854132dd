// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Trace file writer and reader (see tracefile.h; the format is in docs/forensics.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifndef CW_TRACE_ENCODER_ZLIB
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>

#include "util/fileio.h"
#include "util/grow.h"
#include "util/tracefile.h"

static const char FILE_MAGIC[8] = { 'C', 'W', 'T', 'R', 'A', 'C', 'E', 0 };
static const char CHUNK_MAGIC[4] = { 'C', 'W', 'C', 'K' };
static const char FOOTER_MAGIC[4] = { 'C', 'W', 'I', 'X' };
static const char TRAILER_MAGIC[8] = { 'C', 'W', 'T', 'R', 'E', 'N', 'D', 0 };
static const char HKDF_INFO[] = "credwatch trace v1 file key";

#define FLAG_ENCRYPTED 1u
#define HDR_FIXED 24 /* magic, version, flags, header length, start time */
#define HDR_MAX (64 * 1024)
#define PUB_LEN 32
#define KEYID_LEN 16
#define TAG_LEN 16
#define NONCE_LEN 12
#define FILE_KEY_LEN 32
#define FRAME_LEN 44
#define FRAME_AAD 36 /* the frame without its two CRCs */
#define REC_HDR 16
#define FOOTER_ENTRY 32
#define TRAILER_LEN 24
/* The biggest chunk a writer makes: a full buffer, or one record of the biggest size. */
#define MAX_CHUNK_RAW (CW_TRACE_CHUNK_RAW + REC_HDR + CW_TRACE_MAX_RECORD)
#define MAX_STORED (MAX_CHUNK_RAW + MAX_CHUNK_RAW / 1000 + 1024)

struct cw_trace_key {
	EVP_PKEY *pkey;
	bool priv;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* zlib's crc32(), the IEEE polynomial; ISA-L's computes the same values several times faster. */
static uint32_t crc(const void *p, size_t n)
{
#ifdef CW_TRACE_ENCODER_ZLIB
	return (uint32_t)crc32(crc32(0, Z_NULL, 0), p, (uInt)n);
#else
	return crc32_gzip_refl(0, p, n);
#endif
}

/*
 * A fuzzing build (make fuzz defines the macro) takes every CRC as good, so that mutated
 * inputs reach decompression and record parsing; GCM tags are still checked.
 */
static bool crc_ok(uint32_t want, const void *p, size_t n)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)want;
	(void)p;
	(void)n;
	return true;
#else
	return want == crc(p, n);
#endif
}

static int write_pem(const char *path, mode_t mode, EVP_PKEY *pkey, bool priv)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;
	int ok, ret;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(path);
		return ret;
	}
	ok = priv ? PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL)
		  : PEM_write_PUBKEY(f, pkey);
	ret = fclose(f) ? -errno : 0;
	if (!ok && !ret)
		ret = -EIO;
	if (ret)
		unlink(path);
	return ret;
}

int cw_trace_keygen(const char *priv_path, const char *pub_path, char *err, size_t errlen)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	int ret;

	if (!pkey) {
		seterr(err, errlen, "generating an X25519 key failed");
		return -EIO;
	}
	ret = write_pem(priv_path, 0600, pkey, true);
	if (ret) {
		seterr(err, errlen, "%s: %s", priv_path, strerror(-ret));
		goto out;
	}
	ret = write_pem(pub_path, 0644, pkey, false);
	if (ret) {
		seterr(err, errlen, "%s: %s", pub_path, strerror(-ret));
		unlink(priv_path);
	}
out:
	EVP_PKEY_free(pkey);
	return ret;
}

int cw_trace_key_load(const char *path, struct cw_trace_key **key, char *err, size_t errlen)
{
	struct cw_trace_key *k;
	EVP_PKEY *pkey;
	bool priv = true;
	BIO *bio = BIO_new_file(path, "r");

	if (!bio) {
		seterr(err, errlen, "%s: cannot open", path);
		return -ENOENT;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!pkey) {
		/* Not a private key: drop OpenSSL's queued error, others share the queue. */
		ERR_clear_error();
		priv = false;
		(void)BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_X25519) {
		ERR_clear_error();
		EVP_PKEY_free(pkey);
		seterr(err, errlen, "%s: not a PEM X25519 key", path);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	k->pkey = pkey;
	k->priv = priv;
	*key = k;
	return 0;
}

void cw_trace_key_free(struct cw_trace_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

static int raw_pub(EVP_PKEY *pkey, uint8_t pub[PUB_LEN])
{
	size_t n = PUB_LEN;

	return EVP_PKEY_get_raw_public_key(pkey, pub, &n) == 1 && n == PUB_LEN ? 0 : -EINVAL;
}

/* The first 16 bytes of SHA-256 of the raw public key: names a key without holding it. */
static int key_id(const uint8_t pub[PUB_LEN], uint8_t id[KEYID_LEN])
{
	uint8_t md[32];
	unsigned n = 0;

	if (EVP_Digest(pub, PUB_LEN, md, &n, EVP_sha256(), NULL) != 1)
		return -EIO;
	memcpy(id, md, KEYID_LEN);
	return 0;
}

/*
 * file key = HKDF-SHA256(X25519(mine, peer), salt = ephemeral pub || recipient pub, info).
 */
static int derive_key(EVP_PKEY *mine, EVP_PKEY *peer, const uint8_t eph[PUB_LEN],
		      const uint8_t recip[PUB_LEN], uint8_t out[FILE_KEY_LEN])
{
	uint8_t shared[32], salt[2 * PUB_LEN];
	size_t slen = sizeof(shared), olen = FILE_KEY_LEN;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, NULL);
	int ret = -EIO;

	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, shared, &slen) != 1 || slen != sizeof(shared))
		goto out;
	EVP_PKEY_CTX_free(ctx);
	memcpy(salt, eph, PUB_LEN);
	memcpy(salt + PUB_LEN, recip, PUB_LEN);
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, sizeof(salt)) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, shared, (int)slen) != 1 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)HKDF_INFO,
					(int)strlen(HKDF_INFO)) != 1 ||
	    EVP_PKEY_derive(ctx, out, &olen) != 1 || olen != FILE_KEY_LEN)
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

/* Chunk seq in the low 8 bytes; the header's tag uses all-ones, which no chunk reaches. */
static void make_nonce(uint8_t nonce[NONCE_LEN], int64_t seq)
{
	if (seq < 0) {
		memset(nonce, 0xff, NONCE_LEN);
		return;
	}
	put64(nonce, (uint64_t)seq);
	memset(nonce + 8, 0, NONCE_LEN - 8);
}

/* AES-256-GCM seal of in[0..n) into out (n bytes + tag): 0 or -EIO. */
static int gcm_seal(const uint8_t *key, int64_t seq, const uint8_t *aad, size_t alen,
		    const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[NONCE_LEN];
	int len, ret = -EIO;

	make_nonce(nonce, seq);
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &len, aad, (int)alen) != 1)
		goto out;
	if (n && EVP_EncryptUpdate(c, out, &len, in, (int)n) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, out + n, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + n) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return ret;
}

/* The reverse: in holds n bytes + tag; -EBADMSG when the tag does not verify. */
static int gcm_open(const uint8_t *key, int64_t seq, const uint8_t *aad, size_t alen,
		    const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[NONCE_LEN];
	int len, ret = -EIO;

	make_nonce(nonce, seq);
	if (!c || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &len, aad, (int)alen) != 1)
		goto out;
	if (n && EVP_DecryptUpdate(c, out, &len, in, (int)n) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(in + n)) != 1)
		goto out;
	ret = EVP_DecryptFinal_ex(c, out + n, &len) == 1 ? 0 : -EBADMSG;
out:
	EVP_CIPHER_CTX_free(c);
	return ret;
}

/*
 * Chunk encoding. The format says a chunk is a zlib stream (RFC 1950); any encoder writing a
 * standard one keeps it. ISA-L's igzip at level 1 writes one about 4-5 times faster than
 * zlib's compress2 level 1 at about the same size (bench/trace_write, bench/RESULTS.md);
 * reading stays on zlib, which inflates every zlib stream, old files' included. Building with
 * -DCW_TRACE_ENCODER_ZLIB gives the zlib encoder back (the benchmark's baseline).
 */
struct cw_trace_packer {
#ifndef CW_TRACE_ENCODER_ZLIB
	struct isal_zstream z;
	uint8_t *level_buf;
#else
	int unused;
#endif
};

const char *cw_trace_encoder(void)
{
#ifdef CW_TRACE_ENCODER_ZLIB
	return "zlib-1";
#else
	return "isa-l-igzip-1";
#endif
}

int cw_trace_packer_new(struct cw_trace_packer **out)
{
	struct cw_trace_packer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
#ifndef CW_TRACE_ENCODER_ZLIB
	p->level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
	if (!p->level_buf) {
		free(p);
		return -ENOMEM;
	}
#endif
	*out = p;
	return 0;
}

void cw_trace_packer_free(struct cw_trace_packer *p)
{
	if (!p)
		return;
#ifndef CW_TRACE_ENCODER_ZLIB
	free(p->level_buf);
#endif
	free(p);
}

size_t cw_trace_pack_bound(size_t raw_len)
{
	return compressBound((uLong)raw_len);
}

#ifndef CW_TRACE_ENCODER_ZLIB
/* igzip level 1 into out[0..cap): the stream's length, or 0 when it did not fit. */
static size_t igzip(struct cw_trace_packer *p, const void *raw, size_t len, void *out, size_t cap)
{
	struct isal_zstream *z = &p->z;

	isal_deflate_init(z);
	z->level = 1;
	z->level_buf = p->level_buf;
	z->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	z->gzip_flag = IGZIP_ZLIB;
	z->end_of_stream = 1;
	z->flush = NO_FLUSH;
	z->next_in = (uint8_t *)raw;
	z->avail_in = (uint32_t)len;
	z->next_out = out;
	z->avail_out = (uint32_t)cap;
	if (isal_deflate(z) != COMP_OK || z->internal_state.state != ZSTATE_END)
		return 0;
	return z->total_out;
}
#endif

int cw_trace_pack(struct cw_trace_packer *p, const void *raw, size_t len, void *out, size_t cap,
		  size_t *zlen)
{
	uLongf clen = (uLongf)cap;

	if (cap < cw_trace_pack_bound(len))
		return -ENOSPC;
#ifndef CW_TRACE_ENCODER_ZLIB
	*zlen = igzip(p, raw, len, out, cap);
	if (*zlen)
		return 0;
		/* Never seen: igzip stores what it cannot shrink. zlib's bound is a promise. */
#else
	(void)p;
#endif
	if (compress2(out, &clen, raw, (uLong)len, Z_BEST_SPEED) != Z_OK)
		return -EIO;
	*zlen = clen;
	return 0;
}

int cw_trace_unpack(const void *z, size_t zlen, void *raw, size_t raw_len)
{
	uLongf rlen = (uLongf)raw_len;

	if (uncompress(raw, &rlen, z, (uLong)zlen) != Z_OK || rlen != raw_len)
		return -EINVAL;
	return 0;
}

size_t cw_trace_record_put(void *buf, uint16_t type, uint64_t ts_ns, const void *data, size_t len)
{
	uint8_t *p = buf;

	put16(p, type);
	put16(p + 2, 0);
	put32(p + 4, (uint32_t)len);
	put64(p + 8, ts_ns);
	if (len)
		memcpy(p + REC_HDR, data, len);
	return REC_HDR + len;
}

int cw_trace_record_get(const void *buf, size_t len, size_t *pos, struct cw_trace_record *rec)
{
	const uint8_t *p = (const uint8_t *)buf + *pos;
	uint32_t n;

	if (*pos >= len)
		return 0;
	if (len - *pos < REC_HDR)
		return -EINVAL;
	n = get32(p + 4);
	if (n > CW_TRACE_MAX_RECORD || n > len - *pos - REC_HDR)
		return -EINVAL;
	rec->type = get16(p);
	rec->len = n;
	rec->ts_ns = get64(p + 8);
	rec->data = p + REC_HDR;
	*pos += REC_HDR + n;
	return 1;
}

struct cw_trace_writer {
	int fd;
	bool encrypted;
	uint8_t key[FILE_KEY_LEN];
	uint64_t off; /* bytes written to the file */
	uint32_t seq;
	uint8_t *raw, *out;
	size_t raw_len, raw_cap, out_cap;
	uint32_t records;
	uint64_t min_ts, max_ts;
	struct cw_trace_chunk *index;
	size_t nindex, index_cap;
	struct cw_trace_packer *packer;
	int error; /* sticky: the first write error */
};

static size_t put_str(uint8_t *p, const char *s)
{
	size_t n = s ? strnlen(s, CW_TRACE_MAX_STR) : 0;

	put16(p, (uint16_t)n);
	if (n)
		memcpy(p + 2, s, n);
	return 2 + n;
}

/* Ephemeral key, file key, and the recipient's key id into the header at p. */
static int setup_crypto(struct cw_trace_writer *w, const struct cw_trace_key *recipient, uint8_t *p)
{
	uint8_t recip[PUB_LEN];
	EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	int ret = -EIO;

	if (!eph || raw_pub(eph, p) || raw_pub(recipient->pkey, recip) ||
	    key_id(recip, p + PUB_LEN) || derive_key(eph, recipient->pkey, p, recip, w->key))
		goto out;
	ret = 0;
out:
	EVP_PKEY_free(eph); /* the writer cannot re-derive the key once it closes */
	return ret;
}

static int write_header(struct cw_trace_writer *w, const struct cw_trace_header *h,
			const struct cw_trace_key *recipient, char *err, size_t errlen)
{
	uint8_t *buf =
		malloc(HDR_FIXED + 5 * (2 + CW_TRACE_MAX_STR) + PUB_LEN + KEYID_LEN + TAG_LEN + 4);
	size_t n = HDR_FIXED;
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, FILE_MAGIC, 8);
	put16(buf + 8, CW_TRACE_VERSION);
	put16(buf + 10, recipient ? FLAG_ENCRYPTED : 0);
	put64(buf + 16, h->start_ns);
	n += put_str(buf + n, h->host);
	n += put_str(buf + n, h->kernel);
	n += put_str(buf + n, h->boot_id);
	n += put_str(buf + n, h->version);
	n += put_str(buf + n, h->rules_digest);
	if (recipient) {
		ret = setup_crypto(w, recipient, buf + n);
		if (ret) {
			seterr(err, errlen, "deriving the file key failed");
			goto out;
		}
		n += PUB_LEN + KEYID_LEN;
	}
	put32(buf + 12, (uint32_t)(n + (recipient ? TAG_LEN : 0) + 4));
	if (recipient) {
		/* A tag over the header: a reader knows at open that its key is right. */
		ret = gcm_seal(w->key, -1, buf, n, NULL, 0, buf + n);
		if (ret) {
			seterr(err, errlen, "sealing the header failed");
			goto out;
		}
		n += TAG_LEN;
	}
	put32(buf + n, crc(buf, n));
	n += 4;
	ret = cw_write_all(w->fd, buf, n);
	if (ret)
		seterr(err, errlen, "writing the header: %s", strerror(-ret));
	w->off = n;
out:
	free(buf);
	return ret;
}

int cw_trace_writer_open(const char *path, const struct cw_trace_header *h,
			 const struct cw_trace_key *recipient, struct cw_trace_writer **out,
			 char *err, size_t errlen)
{
	struct cw_trace_writer *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(-ret));
		free(w);
		return ret;
	}
	/* 0600 whatever the umask: the file may hold plaintext credentials. */
	if (fchmod(w->fd, 0600)) {
		ret = -errno;
		seterr(err, errlen, "%s: chmod: %s", path, strerror(-ret));
		goto fail;
	}
	w->encrypted = recipient != NULL;
	ret = cw_trace_packer_new(&w->packer);
	if (ret) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	ret = write_header(w, h, recipient, err, errlen);
	if (ret)
		goto fail;
	*out = w;
	return 0;
fail:
	close(w->fd);
	unlink(path);
	OPENSSL_cleanse(w->key, sizeof(w->key));
	cw_trace_packer_free(w->packer);
	free(w);
	return ret;
}

int cw_trace_write(struct cw_trace_writer *w, uint16_t type, uint64_t ts_ns, const void *data,
		   size_t len)
{
	int ret;

	if (w->error)
		return w->error;
	if (len > CW_TRACE_MAX_RECORD)
		return -EFBIG;
	if (w->raw_len && w->raw_len + REC_HDR + len > CW_TRACE_CHUNK_RAW) {
		ret = cw_trace_flush(w);
		if (ret)
			return ret;
	}
	if (cw_grow((void **)&w->raw, &w->raw_cap, w->raw_len + REC_HDR + len, 1))
		return -ENOMEM;
	w->raw_len += cw_trace_record_put(w->raw + w->raw_len, type, ts_ns, data, len);
	if (!w->records++ || ts_ns < w->min_ts)
		w->min_ts = ts_ns;
	if (w->records == 1 || ts_ns > w->max_ts)
		w->max_ts = ts_ns;
	return 0;
}

static void put_frame(uint8_t *f, uint32_t seq, uint32_t stored, uint32_t raw, uint32_t records,
		      uint64_t min_ts, uint64_t max_ts)
{
	memcpy(f, CHUNK_MAGIC, 4);
	put32(f + 4, seq);
	put32(f + 8, stored);
	put32(f + 12, raw);
	put32(f + 16, records);
	put64(f + 20, min_ts);
	put64(f + 28, max_ts);
}

/*
 * Frame, seal (encrypted) and write the chunk whose zlen compressed bytes are in w->out after
 * a FRAME_LEN gap, and index it.
 */
static int emit_chunk(struct cw_trace_writer *w, size_t zlen, uint32_t raw_len, uint32_t records,
		      uint64_t min_ts, uint64_t max_ts)
{
	size_t stored = zlen + (w->encrypted ? TAG_LEN : 0);
	int ret;

	if (cw_grow((void **)&w->index, &w->index_cap, w->nindex + 1, sizeof(*w->index)))
		return -ENOMEM;
	/* The frame (without CRCs) is the AAD of an encrypted chunk: it is written first. */
	put_frame(w->out, w->seq, (uint32_t)stored, raw_len, records, min_ts, max_ts);
	/* GCM encrypts in place: input and output are the same buffer. */
	if (w->encrypted && gcm_seal(w->key, w->seq, w->out, FRAME_AAD, w->out + FRAME_LEN, zlen,
				     w->out + FRAME_LEN))
		return w->error = -EIO;
	put32(w->out + 36, crc(w->out + FRAME_LEN, stored));
	put32(w->out + 40, crc(w->out, 40));
	ret = cw_write_all(w->fd, w->out, FRAME_LEN + stored);
	if (ret)
		return w->error = ret;
	w->index[w->nindex++] = (struct cw_trace_chunk){ .offset = w->off,
							 .min_ts = min_ts,
							 .max_ts = max_ts,
							 .records = records,
							 .seq = w->seq };
	w->off += FRAME_LEN + stored;
	w->seq++;
	return 0;
}

int cw_trace_flush(struct cw_trace_writer *w)
{
	size_t zlen, cap = cw_trace_pack_bound(w->raw_len);
	int ret;

	if (w->error)
		return w->error;
	if (!w->raw_len)
		return 0;
	if (cw_grow((void **)&w->out, &w->out_cap, FRAME_LEN + cap + TAG_LEN, 1))
		return -ENOMEM;
	ret = cw_trace_pack(w->packer, w->raw, w->raw_len, w->out + FRAME_LEN, cap, &zlen);
	if (ret)
		return w->error = ret;
	ret = emit_chunk(w, zlen, (uint32_t)w->raw_len, w->records, w->min_ts, w->max_ts);
	if (ret)
		return ret;
	w->raw_len = 0;
	w->records = 0;
	return 0;
}

int cw_trace_write_packed(struct cw_trace_writer *w, const void *z, size_t zlen, uint32_t raw_len,
			  uint32_t records, uint64_t min_ts, uint64_t max_ts)
{
	int ret = cw_trace_flush(w);

	if (ret)
		return ret;
	if (!records || raw_len > MAX_CHUNK_RAW || zlen + TAG_LEN > MAX_STORED)
		return -EINVAL;
	if (cw_grow((void **)&w->out, &w->out_cap, FRAME_LEN + zlen + TAG_LEN, 1))
		return -ENOMEM;
	memcpy(w->out + FRAME_LEN, z, zlen);
	return emit_chunk(w, zlen, raw_len, records, min_ts, max_ts);
}

uint64_t cw_trace_writer_size(const struct cw_trace_writer *w)
{
	return w->off + (w->raw_len ? FRAME_LEN + w->raw_len + TAG_LEN : 0);
}

static int write_footer(struct cw_trace_writer *w)
{
	size_t flen = 8 + w->nindex * FOOTER_ENTRY + 4;
	uint8_t *f = malloc(flen + TRAILER_LEN), *p, *t;
	int ret;

	if (!f)
		return -ENOMEM;
	memcpy(f, FOOTER_MAGIC, 4);
	put32(f + 4, (uint32_t)w->nindex);
	p = f + 8;
	for (size_t i = 0; i < w->nindex; i++, p += FOOTER_ENTRY) {
		put64(p, w->index[i].offset);
		put64(p + 8, w->index[i].min_ts);
		put64(p + 16, w->index[i].max_ts);
		put32(p + 24, w->index[i].records);
		put32(p + 28, w->index[i].seq);
	}
	put32(p, crc(f, flen - 4));
	t = f + flen;
	put64(t, w->off);
	put32(t + 8, (uint32_t)flen);
	put32(t + 12, crc(t, 12));
	memcpy(t + 16, TRAILER_MAGIC, 8);
	ret = cw_write_all(w->fd, f, flen + TRAILER_LEN);
	free(f);
	return ret;
}

int cw_trace_writer_close(struct cw_trace_writer *w, char *err, size_t errlen)
{
	int ret;

	if (!w)
		return 0;
	ret = cw_trace_flush(w);
	if (!ret)
		ret = write_footer(w);
	if (!ret && fsync(w->fd))
		ret = -errno;
	if (close(w->fd) && !ret)
		ret = -errno;
	if (ret)
		seterr(err, errlen, "closing the trace: %s", strerror(-ret));
	OPENSSL_cleanse(w->key, sizeof(w->key));
	if (w->raw)
		OPENSSL_cleanse(w->raw, w->raw_cap);
	if (w->out)
		OPENSSL_cleanse(w->out, w->out_cap);
	free(w->raw);
	free(w->out);
	free(w->index);
	cw_trace_packer_free(w->packer);
	free(w);
	return ret;
}

struct cw_trace_reader {
	int fd;
	bool own_fd;
	struct cw_trace_info info;
	uint8_t key[FILE_KEY_LEN];
	uint64_t data_start, data_end, file_size;
	uint64_t pos; /* the next frame to read */
	cw_trace_warn_fn warn;
	void *warn_arg;
	unsigned skipped;
	bool cut_warned;
	uint8_t *stored, *raw;
	size_t stored_cap, raw_cap;
	size_t raw_len, raw_pos; /* the records of the current chunk */
	struct cw_trace_chunk *chunks;
	size_t nchunks, chunks_cap;
	bool chunks_known;
};

static void warn(struct cw_trace_reader *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn(struct cw_trace_reader *r, uint64_t off, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!r->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->warn(r->warn_arg, off, msg);
}

/* Read exactly n bytes at off: 0, -ENODATA when the file ends first, else -errno. */
static int read_at(int fd, uint64_t off, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!k)
			return -ENODATA;
		got += (size_t)k;
	}
	return 0;
}

static int get_str(const uint8_t *h, size_t end, size_t *pos, char *out)
{
	size_t n;

	if (*pos + 2 > end)
		return -EINVAL;
	n = get16(h + *pos);
	if (n > CW_TRACE_MAX_STR || *pos + 2 + n > end)
		return -EINVAL;
	memcpy(out, h + *pos + 2, n);
	out[n] = 0;
	*pos += 2 + n;
	return 0;
}

/* Check the key against the recipient's key id and the header tag, and keep the file key. */
static int open_key(struct cw_trace_reader *r, const uint8_t *h, size_t pos,
		    const struct cw_trace_key *key, char *err, size_t errlen)
{
	uint8_t mine[PUB_LEN], id[KEYID_LEN], tag[TAG_LEN];
	EVP_PKEY *eph;
	int ret;

	if (!key) {
		seterr(err, errlen,
		       "this trace is encrypted: it needs --key (the recipient's "
		       "private key)");
		return -ENOKEY;
	}
	if (!key->priv || raw_pub(key->pkey, mine) || key_id(mine, id)) {
		seterr(err, errlen, "this trace is encrypted: the key given is not a private key");
		return -ENOKEY;
	}
	if (memcmp(id, h + pos + PUB_LEN, KEYID_LEN)) {
		seterr(err, errlen, "this trace is encrypted for another key");
		return -EKEYREJECTED;
	}
	eph = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, h + pos, PUB_LEN);
	if (!eph) {
		seterr(err, errlen, "corrupt header: bad ephemeral key");
		return -EINVAL;
	}
	ret = derive_key(key->pkey, eph, h + pos, mine, r->key);
	EVP_PKEY_free(eph);
	if (ret) {
		seterr(err, errlen, "deriving the file key failed");
		return ret;
	}
	pos += PUB_LEN + KEYID_LEN;
	if (gcm_open(r->key, -1, h, pos, h + pos, 0, tag)) {
		seterr(err, errlen,
		       "this trace is encrypted for another key, or its header was altered (the "
		       "header tag does not verify)");
		return -EKEYREJECTED;
	}
	return 0;
}

static int parse_header(struct cw_trace_reader *r, const struct cw_trace_key *key, char *err,
			size_t errlen)
{
	uint8_t fixed[HDR_FIXED], *h = NULL;
	uint32_t hlen, flags;
	size_t pos = HDR_FIXED;
	int ret;

	if (r->file_size == 0) {
		seterr(err, errlen, "empty file (0 bytes): not a credwatch trace");
		return -EINVAL;
	}
	if (r->file_size < 8 || read_at(r->fd, 0, fixed, 8) || memcmp(fixed, FILE_MAGIC, 8)) {
		seterr(err, errlen, "not a credwatch trace (wrong magic)");
		return -EINVAL;
	}
	if (read_at(r->fd, 0, fixed, HDR_FIXED)) {
		seterr(err, errlen, "trace cut off inside its header");
		return -EINVAL;
	}
	r->info.version = get16(fixed + 8);
	if (r->info.version > CW_TRACE_VERSION) {
		seterr(err, errlen,
		       "trace format version %u is newer than this credwatch reads (version %u): "
		       "read it with a newer credwatch",
		       r->info.version, CW_TRACE_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (r->info.version == 0) {
		seterr(err, errlen, "corrupt header: format version 0");
		return -EINVAL;
	}
	flags = get16(fixed + 10);
	hlen = get32(fixed + 12);
	if (hlen < HDR_FIXED + 5 * 2 + 4 || hlen > HDR_MAX || (flags & ~FLAG_ENCRYPTED)) {
		seterr(err, errlen, "corrupt header (length %u, flags %#x)", hlen, flags);
		return -EINVAL;
	}
	h = malloc(hlen);
	if (!h)
		return -ENOMEM;
	ret = read_at(r->fd, 0, h, hlen);
	if (ret) {
		seterr(err, errlen, "trace cut off inside its header");
		ret = -EINVAL;
		goto out;
	}
	ret = -EINVAL;
	if (!crc_ok(get32(h + hlen - 4), h, hlen - 4)) {
		seterr(err, errlen, "corrupt header (CRC mismatch)");
		goto out;
	}
	r->info.start_ns = get64(h + 16);
	r->info.encrypted = flags & FLAG_ENCRYPTED;
	if (get_str(h, hlen - 4, &pos, r->info.host) ||
	    get_str(h, hlen - 4, &pos, r->info.kernel) ||
	    get_str(h, hlen - 4, &pos, r->info.boot_id) ||
	    get_str(h, hlen - 4, &pos, r->info.cw_version) ||
	    get_str(h, hlen - 4, &pos, r->info.rules_digest) ||
	    pos + (r->info.encrypted ? PUB_LEN + KEYID_LEN + TAG_LEN : 0) + 4 != hlen) {
		seterr(err, errlen, "corrupt header (fields do not add up)");
		goto out;
	}
	ret = r->info.encrypted ? open_key(r, h, pos, key, err, errlen) : 0;
	r->data_start = hlen;
out:
	free(h);
	return ret;
}

/* A footer index checked against the file: chunks in order, inside the data. */
static int load_footer(struct cw_trace_reader *r, uint64_t foff, uint32_t flen)
{
	uint8_t *f;
	uint32_t n;
	int ret = -EINVAL;

	if (flen < 12 || foff < r->data_start || foff > r->file_size ||
	    foff + flen + TRAILER_LEN != r->file_size)
		return -EINVAL;
	f = malloc(flen);
	if (!f)
		return -ENOMEM;
	if (read_at(r->fd, foff, f, flen) || memcmp(f, FOOTER_MAGIC, 4) ||
	    !crc_ok(get32(f + flen - 4), f, flen - 4))
		goto out;
	n = get32(f + 4);
	if ((uint64_t)n * FOOTER_ENTRY + 12 != flen)
		goto out;
	r->chunks = calloc(n ? n : 1, sizeof(*r->chunks));
	if (!r->chunks) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = f + 8 + (size_t)i * FOOTER_ENTRY;
		struct cw_trace_chunk *c = &r->chunks[i];

		*c = (struct cw_trace_chunk){ get64(e), get64(e + 8), get64(e + 16), get32(e + 24),
					      get32(e + 28) };
		if (c->offset < (i ? r->chunks[i - 1].offset + FRAME_LEN : r->data_start) ||
		    c->offset + FRAME_LEN > foff)
			goto out;
	}
	r->nchunks = r->chunks_cap = n;
	r->chunks_known = true;
	ret = 0;
out:
	if (ret) {
		free(r->chunks);
		r->chunks = NULL;
	}
	free(f);
	return ret;
}

/* Where the chunks end: at a valid footer, or (cut-off file) at the end of the file. */
static void find_end(struct cw_trace_reader *r)
{
	uint8_t t[TRAILER_LEN];

	r->data_end = r->file_size;
	if (r->file_size < r->data_start + TRAILER_LEN ||
	    read_at(r->fd, r->file_size - TRAILER_LEN, t, TRAILER_LEN) ||
	    memcmp(t + 16, TRAILER_MAGIC, 8) || !crc_ok(get32(t + 12), t, 12))
		return;
	if (load_footer(r, get64(t), get32(t + 8))) {
		warn(r, get64(t), "footer index is damaged: scanning the chunks instead");
		return;
	}
	r->data_end = get64(t);
	r->info.indexed = true;
}

int cw_trace_reader_open_fd(int fd, const struct cw_trace_key *key, cw_trace_warn_fn warnf,
			    void *arg, struct cw_trace_reader **out, char *err, size_t errlen)
{
	struct cw_trace_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int ret;

	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->warn = warnf;
	r->warn_arg = arg;
	if (fstat(fd, &st)) {
		ret = -errno;
		seterr(err, errlen, "stat: %s", strerror(-ret));
		goto fail;
	}
	r->file_size = (uint64_t)st.st_size;
	ret = parse_header(r, key, err, errlen);
	if (ret)
		goto fail;
	find_end(r);
	r->pos = r->data_start;
	*out = r;
	return 0;
fail:
	OPENSSL_cleanse(r->key, sizeof(r->key));
	free(r);
	return ret;
}

int cw_trace_reader_open(const char *path, const struct cw_trace_key *key, cw_trace_warn_fn warnf,
			 void *arg, struct cw_trace_reader **out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	char why[256] = "";

	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = cw_trace_reader_open_fd(fd, key, warnf, arg, out, why, sizeof(why));
	if (ret) {
		close(fd);
		seterr(err, errlen, "%s: %s", path, why);
		return ret;
	}
	(*out)->own_fd = true;
	return 0;
}

const struct cw_trace_info *cw_trace_reader_info(const struct cw_trace_reader *r)
{
	return &r->info;
}

unsigned cw_trace_skipped(const struct cw_trace_reader *r)
{
	return r->skipped;
}

/* A frame header at off whose own CRC holds, parsed into its fields. */
struct frame {
	uint8_t b[FRAME_LEN];
	uint32_t seq, stored, raw, records;
	uint64_t min_ts, max_ts;
};

static bool frame_at(struct cw_trace_reader *r, uint64_t off, struct frame *f)
{
	if (off + FRAME_LEN > r->data_end || read_at(r->fd, off, f->b, FRAME_LEN) ||
	    memcmp(f->b, CHUNK_MAGIC, 4) || !crc_ok(get32(f->b + 40), f->b, 40))
		return false;
	f->seq = get32(f->b + 4);
	f->stored = get32(f->b + 8);
	f->raw = get32(f->b + 12);
	f->records = get32(f->b + 16);
	f->min_ts = get64(f->b + 20);
	f->max_ts = get64(f->b + 28);
	return f->stored <= MAX_STORED && f->raw <= MAX_CHUNK_RAW &&
	       (!r->info.encrypted || f->stored >= TAG_LEN);
}

/* The next valid frame at or after off (resync by scanning for the magic), or data_end. */
static uint64_t resync(struct cw_trace_reader *r, uint64_t off, struct frame *f)
{
	uint8_t buf[64 * 1024];

	while (off + FRAME_LEN <= r->data_end) {
		size_t n = r->data_end - off < sizeof(buf) ? r->data_end - off : sizeof(buf);

		if (read_at(r->fd, off, buf, n))
			break;
		for (size_t i = 0; i + 4 <= n; i++)
			if (!memcmp(buf + i, CHUNK_MAGIC, 4) && frame_at(r, off + i, f))
				return off + i;
		off += n - 3; /* the magic may straddle two reads */
		if (n < sizeof(buf))
			break;
	}
	return r->data_end;
}

/* Records in raw[0..len) well formed and as many as the frame says. */
static bool records_ok(const uint8_t *raw, size_t len, uint32_t records)
{
	size_t pos = 0;
	uint32_t n = 0;

	while (pos < len) {
		if (len - pos < REC_HDR || get32(raw + pos + 4) > CW_TRACE_MAX_RECORD ||
		    get32(raw + pos + 4) > len - pos - REC_HDR)
			return false;
		pos += REC_HDR + get32(raw + pos + 4);
		n++;
	}
	return n == records;
}

/* Check, decrypt and inflate the chunk of frame f at off into r->raw: 0, or why it failed. */
static const char *load_chunk(struct cw_trace_reader *r, uint64_t off, const struct frame *f)
{
	uint8_t *z;
	size_t zlen = f->stored;
	uLongf rlen = f->raw;

	if (cw_grow((void **)&r->stored, &r->stored_cap, f->stored ? f->stored : 1, 1))
		return "out of memory";
	z = r->stored;
	if (read_at(r->fd, off + FRAME_LEN, z, f->stored))
		return "read error";
	if (!crc_ok(get32(f->b + 36), z, f->stored))
		return "CRC mismatch";
	if (r->info.encrypted) {
		zlen -= TAG_LEN;
		if (gcm_open(r->key, f->seq, f->b, FRAME_AAD, z, zlen, z))
			return "authentication failed (GCM tag)";
	}
	/* Only now believe the raw length: it sizes the biggest allocation. */
	if (cw_grow((void **)&r->raw, &r->raw_cap, f->raw ? f->raw : 1, 1))
		return "out of memory";
	if (cw_trace_unpack(z, zlen, r->raw, rlen))
		return "does not decompress";
	if (!records_ok(r->raw, rlen, f->records))
		return "malformed records";
	r->raw_len = rlen;
	r->raw_pos = 0;
	return NULL;
}

/* Load the next good chunk from r->pos: 1, or 0 at the end of the chunks. */
static int next_chunk(struct cw_trace_reader *r)
{
	struct frame f;

	while (r->pos < r->data_end) {
		uint64_t off = r->pos;
		const char *why;

		if (!frame_at(r, off, &f)) {
			uint64_t next = resync(r, off + 1, &f);

			if (next == r->data_end && !r->info.indexed) {
				/* Nothing whole after off: a crash or a full disk cut the file. */
				warn(r, off,
				     "the trace is cut off after offset %llu (%llu bytes left)",
				     (unsigned long long)off, (unsigned long long)(next - off));
				r->cut_warned = true;
				r->pos = next;
				return 0;
			}
			r->skipped++;
			warn(r, off, "no valid chunk at offset %llu: skipped %llu bytes",
			     (unsigned long long)off, (unsigned long long)(next - off));
			r->pos = next;
			continue;
		}
		if (off + FRAME_LEN + f.stored > r->data_end) {
			if (!r->cut_warned)
				warn(r, off,
				     "chunk at offset %llu is cut off (the file ends at %llu): the "
				     "trace ends here",
				     (unsigned long long)off, (unsigned long long)r->data_end);
			r->cut_warned = true;
			r->pos = r->data_end;
			return 0;
		}
		r->pos = off + FRAME_LEN + f.stored;
		why = load_chunk(r, off, &f);
		if (!why)
			return 1;
		r->skipped++;
		warn(r, off, "chunk at offset %llu skipped: %s", (unsigned long long)off, why);
	}
	return 0;
}

int cw_trace_next(struct cw_trace_reader *r, struct cw_trace_record *rec)
{
	const uint8_t *p;

	while (r->raw_pos >= r->raw_len) {
		r->raw_len = r->raw_pos = 0;
		if (!next_chunk(r))
			return 0;
	}
	p = r->raw + r->raw_pos;
	rec->type = get16(p);
	rec->len = get32(p + 4);
	rec->ts_ns = get64(p + 8);
	rec->data = p + REC_HDR;
	r->raw_pos += REC_HDR + rec->len;
	return 1;
}

/* Without a footer: walk the frames (resyncing past damage) to list the chunks. */
static int scan_chunks(struct cw_trace_reader *r)
{
	uint64_t off = r->data_start;
	struct frame f;

	while (off < r->data_end) {
		if (!frame_at(r, off, &f)) {
			off = resync(r, off + 1, &f);
			continue;
		}
		if (off + FRAME_LEN + f.stored > r->data_end)
			break;
		if (cw_grow((void **)&r->chunks, &r->chunks_cap, r->nchunks + 1,
			    sizeof(*r->chunks)))
			return -ENOMEM;
		r->chunks[r->nchunks++] =
			(struct cw_trace_chunk){ off, f.min_ts, f.max_ts, f.records, f.seq };
		off += FRAME_LEN + f.stored;
	}
	r->chunks_known = true;
	return 0;
}

int cw_trace_chunks(struct cw_trace_reader *r, const struct cw_trace_chunk **list, size_t *n)
{
	int ret = r->chunks_known ? 0 : scan_chunks(r);

	if (ret)
		return ret;
	*list = r->chunks;
	*n = r->nchunks;
	return 0;
}

int cw_trace_seek(struct cw_trace_reader *r, uint64_t ts_ns)
{
	const struct cw_trace_chunk *c;
	size_t n, i;
	int ret = cw_trace_chunks(r, &c, &n);

	if (ret)
		return ret;
	/* Chunks before the first whose max reaches ts hold only records before ts. */
	for (i = 0; i < n && c[i].max_ts < ts_ns; i++)
		;
	r->pos = i < n ? c[i].offset : r->data_end;
	r->raw_len = r->raw_pos = 0;
	return 0;
}

void cw_trace_reader_close(struct cw_trace_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	OPENSSL_cleanse(r->key, sizeof(r->key));
	if (r->raw)
		OPENSSL_cleanse(r->raw, r->raw_cap);
	free(r->stored);
	free(r->raw);
	free(r->chunks);
	free(r);
}
