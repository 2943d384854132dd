/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Trace files (docs/forensics.md has the format byte by byte): a header, then independent
 * zlib-compressed chunks of opaque records (type, timestamp, bytes), each framed with its
 * length and CRC32 and, when written for a recipient key, sealed with AES-256-GCM under a key
 * from X25519 + HKDF-SHA256; a footer index of the chunks and a fixed trailer at close. A file
 * cut off reads back every complete chunk; a corrupt chunk is skipped with a warning naming
 * its offset. The records' meaning belongs to the caller.
 */
#ifndef CW_TRACEFILE_H
#define CW_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_TRACE_VERSION 1
/* Records are buffered into chunks of about this many raw bytes before compression. */
#define CW_TRACE_CHUNK_RAW (256 * 1024)
/* The largest record a writer accepts and a reader believes. */
#define CW_TRACE_MAX_RECORD (16 * 1024 * 1024)
/* Each header string (host, kernel, ...) is cut to this many bytes. */
#define CW_TRACE_MAX_STR 1024

/* A record's header in a chunk: type, reserved, length, timestamp (docs/forensics.md). */
#define CW_TRACE_REC_HDR 16

/* What the writer's caller says about the recording; NULL strings are written empty. */
struct cw_trace_header {
	const char *host;
	const char *kernel;	  /* uname release */
	const char *boot_id;	  /* /proc/sys/kernel/random/boot_id */
	const char *version;	  /* credwatch version */
	const char *rules_digest; /* the rules the recording ran with */
	uint64_t start_ns;	  /* wall-clock start, ns since the epoch */
};

/* What a reader found in the header: NUL-terminated copies, owned by the reader. */
struct cw_trace_info {
	unsigned version;
	char host[CW_TRACE_MAX_STR + 1];
	char kernel[CW_TRACE_MAX_STR + 1];
	char boot_id[CW_TRACE_MAX_STR + 1];
	char cw_version[CW_TRACE_MAX_STR + 1];
	char rules_digest[CW_TRACE_MAX_STR + 1];
	uint64_t start_ns;
	bool encrypted;
	bool indexed; /* a valid footer index was found (the writer closed the file) */
};

struct cw_trace_record {
	uint16_t type;
	uint64_t ts_ns;
	const void *data; /* valid until the next cw_trace_next() */
	uint32_t len;
};

struct cw_trace_chunk {
	uint64_t offset; /* of the chunk frame in the file */
	uint64_t min_ts; /* smallest and largest record timestamps in it */
	uint64_t max_ts;
	uint32_t records;
	uint32_t seq;
};

/* An X25519 key: public only (a recipient, for writing) or private (for reading). */
struct cw_trace_key;

/*
 * A new key pair: the private key as PEM to priv_path (mode 0600), the public key as PEM to
 * pub_path (0644); neither file may exist. 0, or -errno with the reason in err.
 */
int cw_trace_keygen(const char *priv_path, const char *pub_path, char *err, size_t errlen);
/* Load a PEM X25519 private or public key: 0, or -errno with the reason in err. */
int cw_trace_key_load(const char *path, struct cw_trace_key **key, char *err, size_t errlen);
void cw_trace_key_free(struct cw_trace_key *key);

struct cw_trace_writer;

/*
 * Create path (O_EXCL, mode 0600) and write its header. With a recipient (public key) every
 * chunk is encrypted for it; with NULL the file holds plaintext. 0, or -errno with err.
 */
int cw_trace_writer_open(const char *path, const struct cw_trace_header *h,
			 const struct cw_trace_key *recipient, struct cw_trace_writer **w,
			 char *err, size_t errlen);
/* Append one record (len <= CW_TRACE_MAX_RECORD): 0 or -errno (-EFBIG, -EIO, ...). */
int cw_trace_write(struct cw_trace_writer *w, uint16_t type, uint64_t ts_ns, const void *data,
		   size_t len);
/* Compress and write the buffered records as one chunk now (no-op when none): 0 or -errno. */
int cw_trace_flush(struct cw_trace_writer *w);
/*
 * The file's size once the buffered records are written (an upper bound: they are counted
 * raw), for a caller that rotates at a size.
 */
uint64_t cw_trace_writer_size(const struct cw_trace_writer *w);
/*
 * Write the last chunk, the footer index and the trailer, fsync and close; frees w in every
 * case. 0, or -errno with err (the complete chunks stay readable).
 */
int cw_trace_writer_close(struct cw_trace_writer *w, char *err, size_t errlen);

/*
 * Chunks built outside a writer, for a recorder that keeps them compressed in memory (the
 * flight recorder) and writes them to a file later without compressing them again.
 */
/* The encoder chunks are written with (a zlib stream whatever it is), e.g. for a benchmark. */
const char *cw_trace_encoder(void);
/* One record in a chunk's layout at buf (CW_TRACE_REC_HDR + len bytes): its size. */
size_t cw_trace_record_put(void *buf, uint16_t type, uint64_t ts_ns, const void *data, size_t len);
/*
 * The record at *pos of a chunk's raw bytes buf[0..len): 1 with *rec filled (data points into
 * buf) and *pos moved past it, 0 at the end, -EINVAL when malformed.
 */
int cw_trace_record_get(const void *buf, size_t len, size_t *pos, struct cw_trace_record *rec);
/* A compressor's state: one per thread that packs. */
struct cw_trace_packer;
int cw_trace_packer_new(struct cw_trace_packer **p);
void cw_trace_packer_free(struct cw_trace_packer *p);
/* The most bytes packing raw_len bytes can give. */
size_t cw_trace_pack_bound(size_t raw_len);
/* Compress a chunk's raw records into out (cap >= cw_trace_pack_bound): 0 with *zlen, -errno. */
int cw_trace_pack(struct cw_trace_packer *p, const void *raw, size_t len, void *out, size_t cap,
		  size_t *zlen);
/* Inflate a packed chunk into raw (exactly raw_len bytes): 0 or -EINVAL. */
int cw_trace_unpack(const void *z, size_t zlen, void *raw, size_t raw_len);
/*
 * Append a chunk packed by cw_trace_pack (records of them, raw_len bytes once inflated, their
 * smallest and largest timestamps), after the records the writer buffers. 0 or -errno.
 */
int cw_trace_write_packed(struct cw_trace_writer *w, const void *z, size_t zlen, uint32_t raw_len,
			  uint32_t records, uint64_t min_ts, uint64_t max_ts);

struct cw_trace_reader;

/* Called for each chunk skipped (or the file cut short) with its offset and why. */
typedef void (*cw_trace_warn_fn)(void *arg, uint64_t offset, const char *msg);

/*
 * Open a trace for reading. key: the private key of an encrypted trace (NULL for plaintext).
 * Refuses an empty file, a wrong magic, a newer format version, a corrupt header, an
 * encrypted trace without a key (-ENOKEY) or for another key (-EKEYREJECTED), each with a
 * clear message in err. warn may be NULL.
 */
int cw_trace_reader_open(const char *path, const struct cw_trace_key *key, cw_trace_warn_fn warn,
			 void *arg, struct cw_trace_reader **r, char *err, size_t errlen);
/* The same on an open descriptor (not closed by the reader). */
int cw_trace_reader_open_fd(int fd, const struct cw_trace_key *key, cw_trace_warn_fn warn,
			    void *arg, struct cw_trace_reader **r, char *err, size_t errlen);
const struct cw_trace_info *cw_trace_reader_info(const struct cw_trace_reader *r);
/*
 * The next record in file order: 1 with *rec filled, 0 at the end, -errno on an I/O error.
 * Damaged chunks are skipped (warned, counted) and reading goes on at the next good one.
 */
int cw_trace_next(struct cw_trace_reader *r, struct cw_trace_record *rec);
/*
 * The chunks with their time ranges: from the footer index when the file has one, else by
 * scanning the frames. *n of them in *list (owned by the reader). 0 or -errno.
 */
int cw_trace_chunks(struct cw_trace_reader *r, const struct cw_trace_chunk **list, size_t *n);
/* Go to the first chunk that may hold a record at or after ts_ns: 0 or -errno. */
int cw_trace_seek(struct cw_trace_reader *r, uint64_t ts_ns);
/* How many chunks were skipped as damaged so far. */
unsigned cw_trace_skipped(const struct cw_trace_reader *r);
void cw_trace_reader_close(struct cw_trace_reader *r);

#endif
