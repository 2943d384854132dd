/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Where fuzz_credfile's byte 0 says its file was found: one path of each kind, and two more. */
#ifndef CW_FUZZ_CREDFILE_PATHS_H
#define CW_FUZZ_CREDFILE_PATHS_H

static const char *const credfile_paths[] = {
	"/home/dev/.netrc",
	"/home/dev/.git-credentials",
	"/home/dev/.pgpass",
	"/home/dba/.my.cnf",
	"/home/dev/.docker/config.json",
	"/home/dev/.kube/config",
	"/home/dev/.pypirc",
	"/home/dev/.npmrc",
	"/home/dev/.aws/credentials",
	"/home/dev/.config/gcloud/application_default_credentials.json",
	"/root/.s3cfg",
	"/etc/nginx/.htpasswd",
	"/etc/shadow",
	"/home/dev/.ssh/id_ed25519",
	"/home/dev/keys/deploy.p12",
	"/srv/shop/shop/settings.py",
	"/srv/store/config/secrets.yml",
	"/srv/app/config/master.key",
	"/var/www/html/wp-config.php",
	"/srv/app/.env",
	"/home/dev/.config/filezilla/sitemanager.xml",
	"/home/dev/WinSCP.ini",
	"/home/dev/proj/.vscode/sftp.json",
	"/home/dev/.local/share/DBeaverData/workspace6/General/.dbeaver/data-sources.json",
	"/home/dev/.pgadmin/servers.json",
	"/srv/app/.env.example",
	"/tmp/shop-1a2b3c4d5e6f.json", /* by content: a service-account key, "auths" */
	"/srv/docs/keys.pem",	       /* by content: a private key */
	"/srv/deploy/values.yaml",     /* by content: a kubeconfig */
};

#define CREDFILE_PATHS (sizeof(credfile_paths) / sizeof(credfile_paths[0]))

#endif
