// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A fingerprint lets a SIEM join the same credential across events and nodes without ever
 * holding it. It is keyed so that nobody without the key can confirm a guessed secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/fileio.h"
#include "detect/fingerprint.h"

/*
 * The key as an unnamed file in dir linked in at path (EEXIST: another run won the race; its
 * key stays). 0, -EOPNOTSUPP when this cannot be done here (the caller names a file instead),
 * or -errno.
 */
static int create_unnamed(const char *dir, const char *path, const unsigned char *key)
{
	char proc[64];
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600), ret;

	if (fd < 0)
		return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL ? -EOPNOTSUPP
										 : -errno;
	ret = cw_write_all(fd, key, CW_FP_KEY_LEN);
	if (!ret && fsync(fd))
		ret = -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!ret && linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) && errno != EEXIST)
		ret = errno == ENOENT && access("/proc/self/fd", F_OK) ? -EOPNOTSUPP : -errno;
	close(fd);
	return ret;
}

int cw_fp_key_create(const char *path, char *err, size_t errlen)
{
	unsigned char key[CW_FP_KEY_LEN];
	char dir[4096], tmp[4200];
	const char *d;
	int fd, ret;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "key path too long: %s", path);
		return -ENAMETOOLONG;
	}
	d = dirname(dir);
	ret = cw_mkdir_p(d, 0700);
	if (ret) {
		snprintf(err, errlen, "cannot create directory for %s: %s", path, strerror(-ret));
		return ret;
	}
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		ret = -errno;
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		return ret;
	}
	/*
	 * Write a private unnamed file (O_TMPFILE), then link it in place: never a partial key,
	 * and a kill before the link leaves nothing behind. A file system without O_TMPFILE (or
	 * no /proc to link it through) gets a named temporary file instead.
	 */
	ret = create_unnamed(d, path, key);
	if (ret != -EOPNOTSUPP) {
		explicit_bzero(key, sizeof(key));
		if (ret)
			snprintf(err, errlen, "cannot write key %s: %s", path, strerror(-ret));
		return ret;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return ret;
	}
	ret = cw_write_all(fd, key, sizeof(key));
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	if (!ret && link(tmp, path) && errno != EEXIST) /* EEXIST: another run won the race */
		ret = -errno;
	unlink(tmp);
	explicit_bzero(key, sizeof(key));
	if (ret)
		snprintf(err, errlen, "cannot write key %s: %s", path, strerror(-ret));
	return ret;
}

int cw_fp_key_load(struct cw_fp_key *k, const char *path, char *err, size_t errlen)
{
	const char *p = path ? path : CW_FP_DEFAULT_FILE;
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !path) {
		ret = cw_fp_key_create(p, err, errlen);
		if (ret)
			return ret;
		fd = open(p, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open fingerprint key %s: %s", p, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 0077))
		fprintf(stderr,
			"credwatch: warning: fingerprint key %s is readable by others "
			"(mode %04o); chmod 600 it\n",
			p, (unsigned)(st.st_mode & 07777));
	n = read(fd, k->key, sizeof(k->key));
	close(fd);
	if (n != (ssize_t)sizeof(k->key)) {
		snprintf(err, errlen, "fingerprint key %s: need at least %d bytes", p,
			 CW_FP_KEY_LEN);
		return -EINVAL;
	}
	snprintf(k->path, sizeof(k->path), "%s", p);
	return 0;
}

void cw_fingerprint(const struct cw_fp_key *k, const char *secret, size_t len,
		    char out[CW_FP_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;

	HMAC(EVP_sha256(), k->key, sizeof(k->key), (const unsigned char *)secret, len, mac,
	     &maclen);
	for (i = 0; i < maclen && i < CW_FP_HEX_LEN / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0xF];
	}
	out[2 * i] = '\0';
}

int cw_fp_key_load_any(struct cw_fp_key *k, const char *path, char *err, size_t errlen)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char user_path[4096];
	int ret;

	ret = cw_fp_key_load(k, path, err, errlen);
	if (!ret || path || (ret != -EACCES && ret != -EPERM && ret != -EROFS))
		return ret;
	if (state && *state)
		snprintf(user_path, sizeof(user_path), "%s/credwatch/fingerprint.key", state);
	else if (home && *home)
		snprintf(user_path, sizeof(user_path), "%s/.local/state/credwatch/fingerprint.key",
			 home);
	else
		return ret;
	if (access(user_path, F_OK) && (ret = cw_fp_key_create(user_path, err, errlen)))
		return ret;
	return cw_fp_key_load(k, user_path, err, errlen);
}
