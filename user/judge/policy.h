/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The intended-workload policy (DESIGN.md "Policy"): which files are credential files (the
 * watch list), named workloads by selectors, credentials bound to owners and destinations, and
 * who may read credential files. YAML, --policy FILE; an embedded default applies without one
 * (policy/default.yaml compiled into the binary).
 *
 * One module in four files: policy_load.c (the YAML loader), policy_query.c (the questions
 * the agent asks of a loaded policy), policy_prefilter.c (the kernel's watch prefilter) and
 * path_glob.c (the path globs every path field uses, see path_glob.h).
 */
#ifndef CW_POLICY_H
#define CW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/matcher.h"
#include "detect/rules.h"
#include "host/workload.h"
#include "judge/path_glob.h"
#include "util/strv.h"

/* Paths are cleaned into buffers of this size before they are matched. */
#define CW_POLICY_PATH_MAX 4096

/* Who did something: a process, in a workload. */
struct cw_subject {
	const struct cw_workload *wl; /* never NULL */
	const char *exe;	      /* executable path, may be "" */
	const char *comm;	      /* task name, may be "" */
	uint32_t uid;
};

/*
 * A Kubernetes label selector (metav1.LabelSelector): matchLabels are read as In
 * requirements of one value; every requirement must hold. In: the label is present with one
 * of values; NotIn: absent, or present with none of them; Exists: present; DoesNotExist:
 * absent. No requirement: every pod.
 */
enum cw_label_op { CW_LABEL_IN, CW_LABEL_NOT_IN, CW_LABEL_EXISTS, CW_LABEL_DOES_NOT_EXIST };
struct cw_label_req {
	char *key;
	enum cw_label_op op;
	struct cw_strv values; /* In, NotIn: at least one; Exists, DoesNotExist: none */
};
struct cw_label_selector {
	bool set; /* given (an empty one selects every pod) */
	struct cw_label_req *reqs;
	size_t n;
};

/* A named workload: every selector given must match (globs: fnmatch, '*' crosses '/'
 * only in cgroup and image). */
struct cw_policy_workload {
	char *name;
	char *namespace_;   /* pod namespace glob */
	char *pod;	    /* pod name glob */
	char *container;    /* container name glob */
	char *container_id; /* glob on the full id (a 12-hex prefix works with '*') */
	char *cgroup;	    /* cgroup path glob */
	char *executable;   /* executable path glob */
	char *unit;	    /* systemd unit glob */
	long uid;	    /* -1: any */
	/* On the pod's metadata (host/podmeta.h): */
	struct cw_label_selector selector;
	char *sa_namespace, *sa_name;  /* service_account 'NS/NAME': the two globs */
	char *owner_kind, *owner_name; /* owner 'Kind/name': kind (any case), name globs */
	char *image;		       /* glob on the container's image reference */
	struct cw_strv ann_keys;       /* annotations: key (exact) -> value glob */
	struct cw_strv ann_values;
	int line;
};

/* A credential binding: every selector given must match; owners and destinations apply. */
struct cw_policy_cred {
	char *rule; /* rule id glob */
	/* a Kubernetes service-account token issued to 'NS/NAME' (its JWT subject,
	 * system:serviceaccount:NS:NAME): the two globs */
	char *sa_namespace, *sa_name;
	char *source;		     /* source path glob (a file the credential was loaded from) */
	char *fingerprint;	     /* exact, hex */
	struct cw_strv owners;	     /* workload names */
	struct cw_strv destinations; /* replaces the rule's destinations when non-empty */
	int line;
};

/* Who may read credential files matching paths (globs as in watch). */
struct cw_policy_readers {
	struct cw_strv paths;
	struct cw_strv allow;		 /* workload names; empty: anyone not denied */
	struct cw_strv deny_executables; /* basename or path globs, e.g. cat, "*sh" */
	int line;
	/* Built at load: the reasons cw_policy_reader gives (deny_why[i] for
	 * deny_executables.v[i]), so that *why is policy-owned. */
	struct cw_strv deny_why;
	char *allow_why;
};

struct cw_policy {
	char *file; /* where it came from ("<embedded>" for the default) */
	/*
	 * Watch globs: '*' matches within one path component, '**' any number of them;
	 * a leading "~/" matches any directory (home directories differ per container), so
	 * "~/.aws/credentials" matches every path ending in "/.aws/credentials"; a glob without
	 * a leading '/' is read as if it had "~/" ("*.pem": any file named *.pem). An entry
	 * "!GLOB" excludes what GLOB matches, even when another entry matches (order does not
	 * matter; quote it in YAML). The full glob rules are in path_glob.h.
	 */
	struct cw_strv watch;
	struct cw_policy_workload *workloads;
	size_t nworkloads;
	struct cw_policy_cred *creds;
	size_t ncreds;
	struct cw_policy_readers *readers;
	size_t nreaders;
	bool token_bindings; /* some binding selects by service_account */
	/* thresholds */
	unsigned long long long_lived_days;  /* default 30 */
	unsigned long long jwt_max_lifetime; /* seconds; default 24 h */
	unsigned long long dedup_window;     /* seconds; default 600 */
};

/* All return 0 or -errno with "FILE:LINE: problem" (naming the field) in err. */
int cw_policy_load_file(struct cw_policy *p, const char *path, char *err, size_t errlen);
int cw_policy_load_buf(struct cw_policy *p, const char *file, const char *buf, size_t len,
		       char *err, size_t errlen);
int cw_policy_load_embedded(struct cw_policy *p, char *err, size_t errlen);
/* path when set, else the embedded default. */
int cw_policy_load_default(struct cw_policy *p, const char *path, char *err, size_t errlen);
void cw_policy_free(struct cw_policy *p);

/* Is path (absolute, or relative when the cwd was unknown) a watched credential file? */
bool cw_policy_watched(const struct cw_policy *p, const char *path);

/*
 * The kernel's cheap prefilter for the watch list, a superset of it: an open is sent to the
 * agent when the path's basename is in names, or its extension (from the last '.' of the
 * basename, with the dot) is in exts, or one of its directory prefixes (ending in '/') is in
 * dirs, or one of its directory components is in comps. Strings owned by the struct.
 */
struct cw_prefilter {
	struct cw_strv names, exts, dirs, comps;
};
int cw_policy_prefilter(const struct cw_policy *p, struct cw_prefilter *out);
void cw_prefilter_free(struct cw_prefilter *pf);

/*
 * The prefilter's literal for one watch glob, in out: its basename (CW_PF_NAME) when
 * literal; "*.ext"'s extension with the dot (CW_PF_EXT); else the literal directory prefix
 * of an absolute glob (CW_PF_DIR, ending in '/'); else a literal directory component
 * (CW_PF_COMP: the last one before the first wildcard component, or failing that, the first
 * one after it). CW_PF_NONE: nothing literal to filter on (the loader refuses such a glob).
 */
enum cw_prefilter_kind { CW_PF_NONE, CW_PF_NAME, CW_PF_EXT, CW_PF_DIR, CW_PF_COMP };
enum cw_prefilter_kind cw_prefilter_entry(const char *glob, char *out, size_t len);

/* The workload of that name, or NULL. */
const struct cw_policy_workload *cw_policy_workload_find(const struct cw_policy *p,
							 const char *name);

/*
 * Does the subject match a workload? A selector on something the agent does not know does
 * not match; but for a process in a pod (its pod UID known from the cgroup) whose metadata
 * has not been learned yet (wl->pod NULL; or its container not in it, for image), a selector
 * on that metadata, or on the pod's namespace, name or container name when those are not
 * known either, is undecided. CW_MATCH_UNKNOWN: no selector the agent could decide fails,
 * and at least one is undecided.
 */
enum cw_policy_match { CW_MATCH_NO = 0, CW_MATCH_YES, CW_MATCH_UNKNOWN };
enum cw_policy_match cw_policy_subject_match(const struct cw_policy *p, const char *name,
					     const struct cw_subject *s);
/* Does the subject match the named workload (CW_MATCH_YES)? false for an unknown name. */
bool cw_policy_subject_is(const struct cw_policy *p, const char *name, const struct cw_subject *s);
/* The first policy workload name the subject matches, or NULL. */
const char *cw_policy_workload_name(const struct cw_policy *p, const struct cw_subject *s);
/* Does any workload select on pod metadata (labels, service account, owner, image,
 * annotations)? Such a policy needs a metadata source (the agent says so when it has none). */
bool cw_policy_uses_pod_metadata(const struct cw_policy *p);

/* The first credential binding matching (rule id, source path or NULL, fingerprint hex). A
 * binding by service_account matches nothing here: it needs the credential (below). */
const struct cw_policy_cred *cw_policy_cred_find(const struct cw_policy *p, const char *rule_id,
						 const char *source, const char *fp_hex);
/* The same for the credential m found (its rule, and for a binding by service_account, the
 * token's subject: the JWT is parsed only when the policy has such a binding). */
const struct cw_policy_cred *cw_policy_cred_for(const struct cw_policy *p, const struct cw_match *m,
						const char *source, const char *fp_hex);
/* Is the subject one of the binding's owners? An owner it might be once its pod's
 * metadata is known (CW_MATCH_UNKNOWN) counts as one: the judge does not call a process a
 * non-owner on metadata it has not got. */
bool cw_policy_cred_owner(const struct cw_policy *p, const struct cw_policy_cred *c,
			  const struct cw_subject *s);

enum cw_reader_verdict {
	CW_READER_UNCOVERED = 0, /* no readers entry covers the path */
	CW_READER_ALLOWED,
	CW_READER_DENIED,
	/* not denied by deny_executables, outside every allowed workload it can be decided
	 * for, and maybe in one once its pod's metadata is known: not a denial */
	CW_READER_UNDECIDED,
};
/* May the subject read the credential file at path? *why (may be NULL) gets a static or
 * policy-owned reason for a denial (and for CW_READER_UNDECIDED, what is not known). */
enum cw_reader_verdict cw_policy_reader(const struct cw_policy *p, const char *path,
					const struct cw_subject *s, const char **why);

/* The default policy compiled into the binary. */
extern const char cw_embedded_policy[];
extern const size_t cw_embedded_policy_len;

#endif
