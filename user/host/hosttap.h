/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the host told the agent, as it was told: one hook for every host question asked while
 * an event is handled (a process's executable and parent, a link under /proc, the bytes of a
 * watched file the agent read itself, a cgroup's workload). Live, with a recorder (a trace, the
 * flight recorder), each answer is handed to record() as it is learnt; replaying a trace, the
 * questions are put to recall() instead of the host, which answers from the recorded answers
 * (NULL: no recorded answer, which the asker treats as "unknown", never as a reason to look at
 * the live host). No hook (the default): nothing is recorded and the host is asked.
 *
 * host/ and events/ cannot see the agent or the trace layer: this header is their only link
 * to it (agent/ sets the hook; trace/record.h gives the records their bytes). Keys and values
 * are little-endian; each kind's layout is below and in docs/forensics.md ("Records").
 * Called on the agent's poll thread only.
 */
#ifndef CW_HOSTTAP_H
#define CW_HOSTTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "host/procs.h"

enum cw_host_kind {
	/* key: u32 pid. value: readlink(/proc/PID/exe), "" when it could not be read */
	CW_HOST_PROC_EXE = 1,
	/* key: u32 pid. value: u32 its parent from /proc/PID/stat, 0 when unknown */
	CW_HOST_PROC_PARENT = 2,
	/* key: u32 pid. value: u32 its pid in its own pid namespace (NSpid), 0 unknown */
	CW_HOST_PROC_NSPID = 3,
	/* key: u32 pid, then the link below /proc/PID ("cwd", "fd/3"). value: its target, ""
	 * when it could not be read */
	CW_HOST_PROC_LINK = 4,
	/* key: u64 file id, u32 pid, u32 fd (the open event's). value: u8 flags
	 * (CW_HOST_FILE_*), then the bytes the agent read from the file (at most its cap) */
	CW_HOST_FILE = 5,
	/* key: u32 pid, u32 fd, then the path. value: u8 1 when the file is in the container's
	 * image, 0 when not (--capture-reads: judged without reading) */
	CW_HOST_FILE_IN_IMAGE = 6,
	/* key: u64 cgroup id. value: the workload the cache resolved (cw_workload_encode) */
	CW_HOST_WORKLOAD = 7,
	/* key: u32 pid. value: /proc/PID/environ as the API server judge read it (a sender's
	 * service address, judge/apiserver.c), a 0-byte value when it could not be read */
	CW_HOST_ENVIRON = 8,
	/* key: u32 pid. value: a process the table remembers (cw_procs_each): u32 ppid, u32 top,
	 * u8 flags (1 gone, 2 root known), u16 exe length, exe, u16 root length, root. Only in a
	 * recording's opening state (cw_agent_tap_state): replay puts it in its table. */
	CW_HOST_PROC_STATE = 9,
	/* key: a setting's name. value: u64. How the recording agent handled what it was sent:
	 * "self_pid" (its own sockets' events are not a workload's), "capture_reads" (0/1),
	 * "file_cap" (bytes read per watched file). At the start and in an opening state. */
	CW_HOST_SETTING = 10,
	CW_HOST_KIND_MAX
};

#define CW_HOST_FILE_OPENED 1	/* the agent could open the file */
#define CW_HOST_FILE_IN_IMAGE 2 /* ... and found it in the container's image */

struct cw_host_tap {
	/* live: an answer just learnt (value NULL with vlen 0: none could be had) */
	void (*record)(void *arg, uint16_t kind, const void *key, size_t klen, const void *val,
		       size_t vlen);
	/* replay: the recorded answer (its bytes, valid until the next event), or NULL */
	const void *(*recall)(void *arg, uint16_t kind, const void *key, size_t klen, size_t *vlen);
	void *arg;
};

/* Set (or with NULL clear) the hook. The struct is copied. */
void cw_host_tap_set(const struct cw_host_tap *t);
/* Replaying: the host must not be asked, recall() answers. */
bool cw_host_replaying(void);
/* Is a recorder listening (worth building a record for)? */
bool cw_host_recording(void);
/* Hand an answer to the recorder (nothing when none). */
void cw_host_note(uint16_t kind, const void *key, size_t klen, const void *val, size_t vlen);
/* The recorded answer, or NULL (also when not replaying). */
const void *cw_host_recall(uint16_t kind, const void *key, size_t klen, size_t *vlen);

/* Little-endian fields of keys and values. */
static inline void cw_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void cw_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t cw_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t cw_get_le64(const unsigned char *p)
{
	return (uint64_t)cw_get_le32(p) | (uint64_t)cw_get_le32(p + 4) << 32;
}

/*
 * A u16-length string at *p (not past end, no NUL in it) into dst, cap bytes with its NUL;
 * *p moves past it. 0, or -EINVAL.
 */
int cw_get_str16(const unsigned char **p, const unsigned char *end, char *dst, size_t cap);

/* The longest CW_HOST_PROC_STATE value: ppid, top, flags, then two u16-length paths. */
#define CW_PROC_STATE_MAX (4 + 4 + 1 + 2 + CW_PROCS_EXE_MAX + 2 + CW_PROCS_EXE_MAX)

/*
 * A remembered process as a CW_HOST_PROC_STATE record (trace/record.h decodes it): the key
 * (u32 pid) into k, the value into v (CW_PROC_STATE_MAX bytes); the value's length.
 */
size_t cw_proc_state_encode(const struct cw_proc_info *i, unsigned char k[4],
			    unsigned char v[CW_PROC_STATE_MAX]);

/*
 * A host answer as a recorder gets it (agent/tap.h CW_TAP_HOST; trace/record.h reads it back):
 * u16 kind, u16 0, u32 key length K, u32 value length V, then the K key bytes and the V value
 * bytes. The header's 12 bytes, written at p.
 */
#define CW_HOST_REC_HDR 12
static inline void cw_host_rec_header(unsigned char *p, uint16_t kind, uint32_t klen, uint32_t vlen)
{
	p[0] = (unsigned char)kind;
	p[1] = (unsigned char)(kind >> 8);
	p[2] = p[3] = 0;
	cw_le32(p + 4, klen);
	cw_le32(p + 8, vlen);
}

/* A u32 pid key, the most common one. */
static inline void cw_host_note_pid(uint16_t kind, uint32_t pid, const void *val, size_t vlen)
{
	unsigned char k[4];

	cw_le32(k, pid);
	cw_host_note(kind, k, sizeof(k), val, vlen);
}

static inline const void *cw_host_recall_pid(uint16_t kind, uint32_t pid, size_t *vlen)
{
	unsigned char k[4];

	cw_le32(k, pid);
	return cw_host_recall(kind, k, sizeof(k), vlen);
}

/*
 * A number the host says about pid (its parent, its pid in its own namespace), through the
 * tap: in a replay the recorded answer (0 when none was recorded), live read(proc, pid),
 * noted for a recording.
 */
static inline uint32_t cw_host_pid_u32(uint16_t kind, const char *proc, uint32_t pid,
				       uint32_t (*read)(const char *proc, uint32_t pid))
{
	unsigned char v[4];
	const void *r;
	uint32_t n;
	size_t vlen;

	if (cw_host_replaying()) {
		r = cw_host_recall_pid(kind, pid, &vlen);
		return r && vlen == 4 ? cw_get_le32(r) : 0;
	}
	n = read(proc, pid);
	cw_le32(v, n);
	cw_host_note_pid(kind, pid, v, sizeof(v));
	return n;
}

#endif
