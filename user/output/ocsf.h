/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The OCSF format of a finding: an OCSF Data Security Finding (class 2006, category
 * Findings), made from the finding's ECS line (output/finding.h), so that every format says
 * the same thing and an output renders it without the pipeline's state:
 *
 *   event.id                      finding_info.uid, metadata.uid
 *   rule.id / rule.name           finding_info.analytic (a rule), data_security.detection_pattern
 *   event.action                  finding_info.types, finding_info.title
 *   credwatch.credential.origin   data_security.data_lifecycle_state: argv, env, file: in use;
 *                                 egress: in transit; scan: at rest
 *   credwatch.credential.redacted data_security.pattern_match (never the secret)
 *   process.*, user.id, group.id  actor.process (parent, user, container), actor.user
 *   container.*, orchestrator.*   actor.process.container (pod uid as pod_uuid)
 *   host.name                     device
 *   destination.*                 dst_endpoint (egress)
 *   file.path                     file and resources[] (the file that holds the credential)
 *   event.severity / event.kind   severity_id (an observation is informational), is_alert
 *   @timestamp                    time (ms)
 *   message                       message, finding_info.desc
 *   credwatch, threat, orchestrator, network   unmapped (as they are in the ECS line)
 *
 * tests/e2e/ocsf_check.py validates the result against the OCSF schema (CW_OCSF_VERSION).
 */
#ifndef CW_OCSF_H
#define CW_OCSF_H

#include <stddef.h>

/* The OCSF schema version the events follow (metadata.version). */
#define CW_OCSF_VERSION "1.9.0-dev"

/*
 * Convert one ECS finding (ecs[0..len), a JSON object) into an OCSF event: a JSON object
 * without a newline in *out (malloc'd, NUL-terminated, *outlen bytes). product_version goes
 * to metadata.product.version. 0; -EINVAL when ecs is not a finding (not JSON, no
 * @timestamp, event or rule); -ENOMEM.
 */
int cw_ocsf_from_ecs(const char *ecs, size_t len, const char *product_version, char **out,
		     size_t *outlen);

#endif
