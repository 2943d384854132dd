// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Credential files parsed as their tools read them (detect/credfile.h): each format with a
 * file as people keep it (comments, several entries, odd spacing, CRLF where tools take it),
 * the field and strength of each finding, and what is no finding (templates, example files,
 * commented-out entries, locked accounts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/credfile.h"
#include "detect/decode.h"
#include "detect/rules.h"
#include "test.h"
#include "testutil.h"
#include "util/codec.h"

#define MAXF 16

struct got {
	size_t n;
	char line[MAXF][512]; /* "rule|field|strength|secret" */
};

static int on_find(const struct cw_match *m, void *arg)
{
	struct got *g = arg;

	char enc[64] = "";

	/* a value the format encodes: how, after the secret ("|base64+basic-auth") */
	for (unsigned i = 0; cw_enc_step(m->encoding, i); i++)
		snprintf(enc + strlen(enc), sizeof(enc) - strlen(enc), "%s%s", i ? "+" : "|",
			 cw_enc_name(cw_enc_step(m->encoding, i)));
	if (g->n < MAXF)
		snprintf(g->line[g->n++], sizeof(g->line[0]), "%s|%s|%s|%.*s%s", m->rule->id,
			 m->field, m->strength ? cw_strength_name(m->strength) : "-", (int)m->len,
			 m->secret, enc);
	return 0;
}

/* Parse text as the file at path (its kind by name, else by content). */
static struct got *parse(const char *path, const char *text, size_t len)
{
	static struct got g;
	static struct cw_credfiles *cf;
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	char err[1024];

	memset(&g, 0, sizeof(g));
	if (tu_embedded(&rs, &m, err, sizeof(err)) || (!cf && cw_credfiles_new(rs, &cf))) {
		cw_test_fail(__FILE__, __LINE__, "setup: %s", err);
		return &g;
	}
	cw_credfile_scan(cf, m, cw_credfile_sniff(path, text, len), text, len, path, NULL, on_find,
			 &g);
	return &g;
}

#define PARSE(path, text) parse(path, text, strlen(text))

/* The number of findings, each printed when it is not the one expected. */
#define REQUIRE_N(g, want)                                                                \
	do {                                                                              \
		if ((g)->n != (size_t)(want)) {                                           \
			for (size_t i_ = 0; i_ < (g)->n; i_++)                            \
				fprintf(stderr, "    found: %s\n", (g)->line[i_]);        \
			cw_test_fail(__FILE__, __LINE__, "%zu findings, want %d", (g)->n, \
				     (int)(want));                                        \
			return;                                                           \
		}                                                                         \
	} while (0)

TEST(credfile_kinds_by_name_and_content)
{
	static const char sa[] = "{\"type\": \"service_account\", \"private_key\": \"\"}";
	static const char kube[] = "apiVersion: v1\nclusters: []\nkind: Config\nusers: []\n";

	CHECK_EQ_INT(cw_credfile_kind("/home/a/.netrc"), CW_CF_NETRC);
	CHECK_EQ_INT(cw_credfile_kind("C:/Users/a/_netrc"), CW_CF_NETRC);
	CHECK_EQ_INT(cw_credfile_kind("/home/a/.config/git/credentials"), CW_CF_GIT_CREDENTIALS);
	CHECK_EQ_INT(cw_credfile_kind("/root/.docker/config.json"), CW_CF_DOCKER);
	CHECK_EQ_INT(cw_credfile_kind("/app/config.json"), CW_CF_NONE);
	CHECK_EQ_INT(cw_credfile_kind("/home/a/.kube/config"), CW_CF_KUBECONFIG);
	CHECK_EQ_INT(cw_credfile_kind("/home/a/.aws/config"), CW_CF_AWS);
	CHECK_EQ_INT(cw_credfile_kind("/etc/mysql/debian.cnf"), CW_CF_MYSQL);
	CHECK_EQ_INT(cw_credfile_kind("/srv/app/config/master.key"), CW_CF_RAILS_KEY);
	CHECK_EQ_INT(cw_credfile_kind("/srv/app/.env.production"), CW_CF_DOTENV);
	CHECK_EQ_INT(cw_credfile_kind("/home/a/.ssh/id_ed25519"), CW_CF_KEY);
	CHECK_EQ_INT(cw_credfile_kind("/etc/shadow"), CW_CF_SHADOW);
	CHECK_EQ_INT(cw_credfile_sniff("/tmp/x.json", sa, strlen(sa)), CW_CF_GCLOUD);
	CHECK_EQ_INT(cw_credfile_kind("/src/main.c"), CW_CF_NONE);
	CHECK_EQ_INT(cw_credfile_sniff("/run/containers/0/auth.json", "{\"auths\": {}}", 13),
		     CW_CF_DOCKER);
	CHECK_EQ_INT(cw_credfile_sniff("/home/a/prod.yaml", kube, strlen(kube)), CW_CF_KUBECONFIG);
	CHECK_EQ_INT(cw_credfile_sniff("/home/a/deploy.yaml", "kind: Deployment\n", 17),
		     CW_CF_NONE);
}

TEST(credfile_password_strength)
{
	CHECK_EQ_INT(cw_password_strength("pass123", 7), CW_STRENGTH_WEAK);
	CHECK_EQ_INT(cw_password_strength("Summer2024!", 11), CW_STRENGTH_WEAK);
	CHECK_EQ_INT(cw_password_strength("postgres", 8), CW_STRENGTH_WEAK);
	CHECK_EQ_INT(cw_password_strength("blue-Harbor7", 12), CW_STRENGTH_FAIR);
	CHECK_EQ_INT(cw_password_strength("x7#Kq2!vLm9pZr4T", 16), CW_STRENGTH_STRONG);
}

TEST(credfile_netrc_tokens_across_lines_comments_macdef_default)
{
	struct got *g =
		PARSE("/home/dev/.netrc",
		      "# work\r\nmachine example.com\r\n  login alice\r\n  password pass123\r\n"
		      "\nmachine ftp.corp.internal login bot password \"a b\\\"c-9Xq!\"\n"
		      "macdef init\npassword notatoken\ncd /pub\n\n"
		      "# machine old.corp.internal login x password oldsecret1\n"
		      "default login anonymous password guest@\n"
		      "machine hash.corp login h password #Zq8!vLm2#\n");

	REQUIRE_N(g, 4);
	CHECK_EQ_STR(g->line[0], "netrc-password|machine example.com password|weak|pass123");
	CHECK_EQ_STR(g->line[1],
		     "netrc-password|machine ftp.corp.internal password|fair|a b\"c-9Xq!");
	CHECK_EQ_STR(g->line[2], "netrc-password|default password|weak|guest@");
	/* a value is read as it is: a password that starts with '#' is no comment */
	CHECK_EQ_STR(g->line[3], "netrc-password|machine hash.corp password|fair|#Zq8!vLm2#");
}

TEST(credfile_netrc_placeholder_is_not_a_finding)
{
	struct got *g = PARSE("/home/dev/.netrc", "machine api.corp login ci password ${CI_PASS}\n"
						  "machine b.corp login ci password <password>\n");

	CHECK_EQ_INT(g->n, 0);
}

TEST(credfile_git_credentials_percent_encoded)
{
	struct got *g =
		PARSE("/home/dev/.git-credentials", "https://alice:S3cr3t%21pw@github.example.com\n"
						    "https://bob:hunter2@git.corp.internal:8443\n"
						    "https://git.corp.internal/no/userinfo\n"
						    "https://carol:${TOKEN}@git.corp.internal\n");

	REQUIRE_N(g, 2);
	CHECK_EQ_STR(g->line[0], "git-credentials-password|https://github.example.com "
				 "password|fair|S3cr3t!pw|percent");
	CHECK_EQ_STR(
		g->line[1],
		"git-credentials-password|https://git.corp.internal:8443 password|weak|hunter2");
}

TEST(credfile_git_credentials_provider_token_keeps_its_rule)
{
	char *tok = tu_github_token(), text[256];
	struct got *g;

	snprintf(text, sizeof(text), "https://x-access-token:%s@github.com\n", tok);
	g = PARSE("/home/dev/.git-credentials", text);
	REQUIRE_N(g, 1);
	CHECK(!strncmp(g->line[0], "github-pat-classic|https://github.com password|-|", 49));
	free(tok);
}

TEST(credfile_pgpass_escapes_and_comments)
{
	struct got *g = PARSE("/home/dev/.pgpass", "# host:port:db:user:password\n"
						   "db.internal:5432:app:app:pa\\:ss\\\\12345\n"
						   "*:*:*:postgres:postgres\n"
						   "#replica:5432:*:rep:Oldp4ss-9z\n"
						   "too:few:fields\n");

	REQUIRE_N(g, 2);
	CHECK_EQ_STR(g->line[0], "pgpass-password|db.internal:5432:app password|fair|pa:ss\\12345");
	CHECK_EQ_STR(g->line[1], "pgpass-password|*:*:* password|weak|postgres");
}

TEST(credfile_mysql_client_sections_only)
{
	struct got *g =
		PARSE("/home/dba/.my.cnf", "[mysqld]\npassword = notforclients9\n"
					   "[client]\nuser=backup\npassword = \"Tr1cky#Pass\"  \n"
					   "[mysqldump]\n# password = commented9\npassword=root\n");

	REQUIRE_N(g, 2);
	CHECK_EQ_STR(g->line[0], "mysql-option-file-password|[client] password|fair|Tr1cky#Pass");
	CHECK_EQ_STR(g->line[1], "mysql-option-file-password|[mysqldump] password|weak|root");
}

TEST(credfile_docker_auth_is_decoded)
{
	char b64[128], text[512];
	struct got *g;

	cw_base64url_encode((const unsigned char *)"ci:Tr0ub4dor&3xyz", 17, b64);
	for (char *p = b64; *p; p++) /* base64url to base64: docker writes standard base64 */
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	snprintf(text, sizeof(text),
		 "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"%s\"\n\t\t},\n"
		 "\t\t\"registry.corp\": {}\n\t},\n\t\"credsStore\": \"desktop\"\n}\n",
		 b64);
	g = PARSE("/home/dev/.docker/config.json", text);
	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "docker-config-auth|auths[ghcr.io] auth "
				 "(base64)|strong|Tr0ub4dor&3xyz|base64+basic-auth");
}

TEST(credfile_kubeconfig_users)
{
	char *tok = tu_strong("%{alnum:40}", 4.0), text[1024];
	struct got *g;

	snprintf(text, sizeof(text),
		 "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k8s.corp:6443\n"
		 "  name: prod\nusers:\n- name: admin@prod\n  user:\n    token: %s\n"
		 "- name: basic\n  user:\n    username: admin\n    password: \"kube-Admin1\"\n"
		 "- name: sso\n  user:\n    exec:\n      command: kubelogin\n",
		 tok);
	g = PARSE("/home/dev/.kube/config", text);
	REQUIRE_N(g, 2);
	CHECK(strstr(g->line[0], "kubeconfig-user-token|users[admin@prod] token|-|") == g->line[0]);
	CHECK_EQ_STR(g->line[1], "connection-file-password|users[basic] password|fair|kube-Admin1");
	free(tok);
}

TEST(credfile_aws_profiles_and_session_token)
{
	char *sk = tu_strong("%{base64:40}", 4.0), *st = tu_strong("%{base64:200}", 4.0);
	char *ak = tu_strong("AKIA%{base32:16}", 3.4), text[1024], want[128];
	struct got *g;

	for (char *p = sk; *p; p++)
		*p = *p == '=' ? 'Q' : *p;
	snprintf(text, sizeof(text),
		 "[default]\naws_access_key_id=%s\naws_secret_access_key=%s\n\n"
		 "[profile sso]\ncredential_process = aws-vault export --format=json sso\n"
		 "[temp]\naws_session_token = %s\n",
		 ak, sk, st);
	g = PARSE("/home/dev/.aws/credentials", text);
	REQUIRE_N(g, 3);
	snprintf(want, sizeof(want), "aws-access-key-id|[default] aws_access_key_id|-|%s", ak);
	CHECK_EQ_STR(g->line[0], want);
	CHECK(strstr(g->line[1], "aws-secret-access-key|[default] aws_secret_access_key|-|"));
	CHECK(strstr(g->line[2], "aws-session-token|[temp] aws_session_token|-|"));
	free(ak);
	free(sk);
	free(st);
}

TEST(credfile_npmrc_pypirc)
{
	struct got *g = PARSE("/home/dev/.npmrc",
			      "registry=https://npm.corp/\n//npm.corp/:_authToken=${NPM_TOKEN}\n"
			      "//nexus.corp/repository/npm/:_auth=YWxpY2U6bnBtLVBhc3MtOTk=\n");

	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "npmrc-basic-auth|//nexus.corp/repository/npm/:_auth "
				 "(base64)|fair|npm-Pass-99|base64+basic-auth");
	g = PARSE("/home/dev/.pypirc", "[distutils]\nindex-servers =\n  pypi\n  internal\n\n"
				       "[internal]\nrepository: https://pypi.corp/\nusername: ci\n"
				       "password: letmein\n");
	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "pypirc-password|[internal] password|weak|letmein");
}

TEST(credfile_htpasswd_shadow_hash_kinds)
{
	struct got *g = PARSE("/etc/nginx/.htpasswd",
			      "admin:$apr1$Xb1q9z3a$7Gk2LmQ0vR8sT4wYzP1nHj\n"
			      "ci:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n# old:$2y$05$abc\n");

	REQUIRE_N(g, 2);
	CHECK(strstr(g->line[0], "htpasswd-hash|password hash (apr1-md5)|-|$apr1$"));
	CHECK(strstr(g->line[1], "htpasswd-hash|password hash (sha1)|-|{SHA}"));
	g = PARSE("/etc/shadow",
		  "root:!$6$abcdefgh$ABCDEFGHIJKLMNOPQRSTUV0123456789:19700:0:99999:7:::\n"
		  "daemon:*:19700:0:99999:7:::\nnobody:!:19700::::::\n");
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0],
		     "shadow-password-hash|password hash (sha512-crypt, account locked)|-|$6$"));
}

TEST(credfile_keys_encrypted_or_not)
{
	/* openssh-key-v1\0 + cipher "none" / "aes256-ctr", base64; the rest of the body random */
	static const char none[] =
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
	static const char aes[] =
		"b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABD1";
	char *rest = tu_secret("%{base64:70}\n%{base64:70}\n%{base64:12}"), text[1024];
	struct got *g;

	snprintf(text, sizeof(text),
		 "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n%s\n-----END OPENSSH PRIVATE KEY-----\n",
		 none, rest);
	g = PARSE("/home/dev/.ssh/id_ed25519", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "private-key|OpenSSH private key (unencrypted)|-|"));
	snprintf(text, sizeof(text),
		 "-----BEGIN OPENSSH PRIVATE KEY-----\r\n%s\r\n%s\r\n-----END OPENSSH PRIVATE "
		 "KEY-----\r\n",
		 aes, rest);
	g = PARSE("/home/dev/.ssh/id_rsa", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "private-key|OpenSSH private key (encrypted: aes256-ctr)|-|"));
	snprintf(text, sizeof(text),
		 "-----BEGIN ENCRYPTED PRIVATE "
		 "KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n"
		 "%s\n-----END ENCRYPTED PRIVATE KEY-----\n",
		 rest);
	g = PARSE("/srv/tls/server.key", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "private-key|PKCS#8 private key (encrypted)|-|"));
	snprintf(text, sizeof(text),
		 "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
		 "0123456789ABCDEF0123456789ABCDEF\n\n%s\n-----END RSA PRIVATE KEY-----\n",
		 rest);
	g = PARSE("/srv/tls/legacy.pem", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "private-key|RSA private key (PEM, encrypted)|-|"));
	/* code that names the markers, and documentation that elides the key: no key */
	g = PARSE("/usr/lib/python3/x/ssh.py",
		  "_SK_START = b\"-----BEGIN OPENSSH PRIVATE KEY-----\"\n"
		  "_SK_END = b\"-----END OPENSSH PRIVATE KEY-----\"\n");
	CHECK_EQ_INT(g->n, 0);
	g = PARSE("/srv/docs/keys.pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n"
					"-----END RSA PRIVATE KEY-----\n");
	CHECK_EQ_INT(g->n, 0);
	free(rest);
	g = PARSE("/home/dev/keys/deploy.ppk",
		  "PuTTY-User-Key-File-3: ssh-ed25519\r\nEncryption: none\r\nComment: deploy\r\n"
		  "Public-Lines: 2\r\nAAAAC3NzaC1lZDI1NTE5AAAAIOr\r\nAAAA\r\nPrivate-Lines: 1\r\n"
		  "AAAAIG7x3\r\nPrivate-MAC: "
		  "0123456789abcdef0123456789abcdef0123456789abcdef01234567\r\n");
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "putty-private-key|PuTTY private key (unencrypted)|-|"));
}

TEST(credfile_web_frameworks)
{
	char *hex = tu_strong("%{hex:32}", 3.0), text[1024];
	struct got *g;

	g = PARSE(
		"/srv/shop/shop/settings.py",
		"import os\nSECRET_KEY = os.environ.get('DJANGO_SECRET', "
		"'q9!v$r2m@x7#kz1p&w3e^t5y*u8i%(o0l)a6s-d4f<')\n"
		"# SECRET_KEY = 'old-old-old-old-old-old-old-old-old-old-old'\n"
		"DATABASES = {\n    'default': {\n        'PASSWORD': os.environ['DB_PASSWORD'],\n"
		"        'USER': 'shop',\n    }\n}\nEMAIL_HOST_PASSWORD = 'mail-Pass-2291'\n");
	REQUIRE_N(g, 2);
	CHECK(strstr(g->line[0], "django-secret-key|SECRET_KEY|-|q9!v$r2m") == g->line[0]);
	CHECK_EQ_STR(g->line[1],
		     "connection-file-password|EMAIL_HOST_PASSWORD|fair|mail-Pass-2291");
	g = PARSE("/var/www/html/wp-config.php",
		  "<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_PASSWORD', 'wp123' );\n"
		  "define('AUTH_KEY',         'put your unique phrase here');\n"
		  "define( 'NONCE_SALT', 'Zq-1;X8|@b{~Lr0Pp(Tk3uJ]e5wH>cN6yG!m9sD2vA7fE4' );\n");
	REQUIRE_N(g, 2);
	CHECK_EQ_STR(g->line[0], "wordpress-db-password|DB_PASSWORD|weak|wp123");
	CHECK(strstr(g->line[1], "wordpress-auth-salt|NONCE_SALT|-|") == g->line[1]);
	g = PARSE("/var/www/html/wp-config-sample.php",
		  "define( 'DB_PASSWORD', 'password_here' );\ndefine( 'DB_PASSWORD', 'wp123' );\n");
	CHECK_EQ_INT(g->n, 0);
	g = PARSE("/srv/app/.env",
		  "APP_NAME=Laravel\r\nAPP_KEY=base64:"
		  "q3J0dW5nZXJtYW5ueWVhcnNvbGRrZXlzY3JhbWJsZWQ9\r\n"
		  "DB_PASSWORD=\r\nREDIS_PASSWORD=null\r\nMAIL_PASSWORD=\"s3nd-Gr1d!x\"\r\n");
	REQUIRE_N(g, 2);
	CHECK(strstr(g->line[0], "laravel-app-key|APP_KEY|-|base64:") == g->line[0]);
	CHECK_EQ_STR(g->line[1], "connection-file-password|MAIL_PASSWORD|fair|s3nd-Gr1d!x");
	g = PARSE("/srv/app/.env.example", "DB_PASSWORD=secret\nMAIL_PASSWORD=changeme\n");
	CHECK_EQ_INT(g->n, 0);
	snprintf(text, sizeof(text), "%s\n", hex);
	g = PARSE("/srv/app/config/master.key", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "rails-master-key|master key|-|") == g->line[0]);
	free(hex);
}

TEST(credfile_ftp_and_db_clients)
{
	struct got *g = PARSE(
		"/home/dev/.config/filezilla/sitemanager.xml",
		"<FileZilla3><Servers><Server><Host>ftp.corp.internal</Host><Port>21</Port>"
		"<User>deploy</User><Pass encoding=\"base64\">ZnRwLVBhc3MtNzc=</Pass></Server>"
		"<Server><Host>old</Host><Pass encoding=\"crypt\" pubkey=\"x\">abc</Pass>"
		"</Server></Servers></FileZilla3>\n");

	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "filezilla-password|Server ftp.corp.internal Pass "
				 "(base64)|fair|ftp-Pass-77|base64");
	g = PARSE("/home/dev/proj/.vscode/sftp.json",
		  "{\n  \"name\": \"prod\",\n  \"host\": \"sftp.corp\",\n  \"username\": \"www\",\n"
		  "  \"password\": \"Www-deploy-8812\",\n  \"remotePath\": \"/var/www\"\n}\n");
	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "connection-file-password|password|strong|Www-deploy-8812");
	g = PARSE("/home/dev/WinSCP.ini", "[Sessions\\deploy@sftp.corp]\r\nHostName=sftp.corp\r\n"
					  "Password=A35C4D5A3D333D6E6A726F7C7D72652E333D3D\r\n");
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "winscp-password|[Sessions\\deploy@sftp.corp] Password|-|A35C") ==
	      g->line[0]);
}

/*
 * Objects nested past the walker's depth: a key at the deepest level is kept in its own slot,
 * not written over the walker's state (found by fuzz_credfile: key[DEPTH_MAX] was one past the
 * array, and a key there overwrote the depth and the value buffer's pointer).
 */
TEST(credfile_json_nested_past_the_depth_limit)
{
	char text[1024] = "";
	struct got *g;

	for (int i = 0; i < 20; i++)
		strcat(text, "{\"level-key-that-is-long-enough\":");
	strcat(text, "{\"password\": \"Www-deploy-8812\"}");
	for (int i = 0; i < 20; i++)
		strcat(text, "}");
	g = PARSE("/home/dev/proj/.vscode/sftp.json", text);
	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "connection-file-password|level-key-that-is-long-enough "
				 "password|strong|Www-deploy-8812");
}

TEST(credfile_gcloud_adc_and_service_account)
{
	char *rt = tu_strong("1//0%{base64url:100}", 4.0), *body = tu_secret("%{base64:64}");
	char text[2048];
	struct got *g;

	snprintf(text, sizeof(text),
		 "{\n  \"client_id\": \"764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps."
		 "googleusercontent.com\",\n  \"client_secret\": \"d-FL95Q19q7MQmFpd7hHD0Ty\",\n"
		 "  \"refresh_token\": \"%s\",\n  \"type\": \"authorized_user\"\n}\n",
		 rt);
	g = PARSE("/home/dev/.config/gcloud/application_default_credentials.json", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "google-oauth-refresh-token|refresh_token|-|1//0") == g->line[0]);
	snprintf(text, sizeof(text),
		 "{\n  \"type\": \"service_account\",\n  \"project_id\": \"shop\",\n"
		 "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%s\\n%s\\n-----END PRIVATE "
		 "KEY-----\\n\",\n  \"client_email\": \"ci@shop.iam.gserviceaccount.com\"\n}\n",
		 body, body);
	g = PARSE("/tmp/shop-1a2b3c4d5e6f.json", text);
	REQUIRE_N(g, 1);
	/* the value is reported decoded: the PEM with its newlines */
	CHECK(strstr(g->line[0],
		     "gcp-service-account-key|private_key|-|-----BEGIN PRIVATE KEY-----\n") ==
	      g->line[0]);
	free(rt);
	free(body);
}

TEST(credfile_docker_identitytoken_and_empty_auths)
{
	struct got *g =
		PARSE("/home/dev/.docker/config.json",
		      "{\"auths\":{\"acr.corp.azurecr.io\":{\"auth\":\"\",\"identitytoken\":"
		      "\"eyJhbGciOiJSUzI1NiJ9.refresh-tok-Zq81\"},\"quay.io\":{}},"
		      "\"credHelpers\":{\"gcr.io\":\"gcloud\"}}");

	REQUIRE_N(g, 1);
	CHECK_EQ_STR(g->line[0], "docker-config-auth|auths[acr.corp.azurecr.io] identitytoken|-|"
				 "eyJhbGciOiJSUzI1NiJ9.refresh-tok-Zq81");
}

TEST(credfile_kubeconfig_client_key_data_is_decoded)
{
	char *body = tu_secret("%{base64:64}"), pem[512], b64[800], text[1200];
	struct got *g;

	snprintf(pem, sizeof(pem),
		 "-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n", body);
	cw_base64url_encode((const unsigned char *)pem, strlen(pem), b64);
	for (char *p = b64; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	snprintf(
		text, sizeof(text),
		"users:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: LS0tCg==\n"
		"    client-key-data: %s\n",
		b64);
	g = PARSE("/etc/kubernetes/admin.conf", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "private-key|users[kubernetes-admin] client-key-data "
				 "(unencrypted)|-|-----BEGIN RSA PRIVATE KEY-----") == g->line[0]);
	free(body);
}

TEST(credfile_s3cfg_rails_secrets_npm_password)
{
	char *sk = tu_strong("%{alnum:40}", 4.0), *skb = tu_secret("%{hex:128}"), text[1024];
	char *ak = tu_strong("AKIA%{base32:16}", 3.4);
	struct got *g;

	snprintf(text, sizeof(text),
		 "[default]\naccess_key = %s\nhost_base = s3.amazonaws.com\n"
		 "secret_key = %s\ngpg_passphrase = \nuse_https = True\n",
		 ak, sk);
	free(ak);
	g = PARSE("/root/.s3cfg", text);
	REQUIRE_N(g, 2);
	CHECK(strstr(g->line[1], "s3cfg-secret-key|[default] secret_key|-|") == g->line[1]);
	snprintf(text, sizeof(text),
		 "development:\n  secret_key_base: %s\n\nproduction:\n"
		 "  secret_key_base: <%%= ENV[\"SECRET_KEY_BASE\"] %%>\n",
		 skb);
	g = PARSE("/srv/store/config/secrets.yml", text);
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "rails-secret-key-base|secret_key_base|-|") == g->line[0]);
	/* npm's _password is base64 of the password alone */
	g = PARSE("/home/dev/.npmrc", "//nexus.corp/npm/:username=deploy\n"
				      "//nexus.corp/npm/:_password=bnBtLURlcGxveS03Nw==\n");
	REQUIRE_N(g, 1);
	CHECK_EQ_STR(
		g->line[0],
		"npmrc-basic-auth|//nexus.corp/npm/:_password (base64)|fair|npm-Deploy-77|base64");
	free(sk);
	free(skb);
}

TEST(credfile_pypi_token_keeps_its_rule)
{
	char *tok = tu_strong("pypi-AgEIcHlwaS5vcmc%{base64url:140}", 4.0), text[512];
	struct got *g;

	snprintf(text, sizeof(text), "[pypi]\nusername = __token__\npassword = %s\n", tok);
	g = PARSE("/home/dev/.pypirc", text);
	REQUIRE_N(g, 1);
	/* a provider's token keeps its provider's rule; the field still says where it was */
	CHECK(strstr(g->line[0], "|[pypi] password|-|pypi-") != NULL);
	CHECK(strncmp(g->line[0], "pypirc-password|", 16) != 0);
	free(tok);
}

TEST(credfile_dbeaver_pgadmin_pkcs12_htdigest)
{
	static const char pfx[] = { 0x30, (char)0x82, 0x0a,	  0x01, 0x02,	    0x01,
				    0x03, 0x30,	      (char)0x82, 0x09, (char)0xc7, 0x06,
				    0x09, 0x2a,	      (char)0x86, 0x48, (char)0x86, (char)0xf7,
				    0x0d, 0x01,	      0x07,	  0x01, (char)0xa0, 0x01 };
	struct got *g = PARSE("/home/dev/.local/share/DBeaverData/workspace6/General/.dbeaver/"
			      "credentials-config.json",
			      "\x8a\x13\xf2\x01garbled-aes-bytes\x7f\x00");

	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "dbeaver-credentials|saved credentials (encrypted with DBeaver's "
				 "default key)|-|") == g->line[0]);
	g = PARSE("/home/dev/.pgadmin/servers.json",
		  "{\"Servers\": {\"1\": {\"Name\": \"prod\", \"Host\": \"db\", \"Port\": 5432, "
		  "\"Username\": \"a\", \"PassFile\": \"/home/dev/.pgpass\"}}}");
	CHECK_EQ_INT(g->n, 0);
	g = parse("/home/dev/certs/client.p12", pfx, sizeof(pfx));
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "pkcs12-bundle|PKCS#12 bundle (private key inside)|-|") ==
	      g->line[0]);
	g = parse("/home/dev/certs/cert.p12", "not a pfx at all, text", 23);
	CHECK_EQ_INT(g->n, 0);
	g = PARSE("/etc/apache2/.htpasswd",
		  "alice:Private Area:0a4f8bc7d9e8e7c6d5b4a3f2e1d0c9b8\n");
	REQUIRE_N(g, 1);
	CHECK(strstr(g->line[0], "htpasswd-hash|password hash (htdigest md5)|-|") == g->line[0]);
}

TEST(credfile_covers_text_matches)
{
	struct cw_rule generic = { .id = (char *)"password-assignment",
				   .kind = (char *)"password" };
	struct cw_rule gh = { .id = (char *)"github-pat-classic",
			      .kind = (char *)"github-token",
			      .provider = (char *)"github" };
	struct cw_rule netrc = { .id = (char *)"netrc-password", .kind = (char *)"password" };
	struct cw_credfile_span span = { 10, 20, &netrc };
	struct cw_credfile_seen seen = { .v = &span, .n = 1, .cap = 1 };
	struct cw_match m = { .rule = &gh, .start = 30, .len = 40 };

	CHECK(!cw_credfile_covers(&seen, &m)); /* elsewhere, another rule */
	m.start = 15;
	CHECK(cw_credfile_covers(&seen, &m)); /* overlapping */
	m.start = 100;
	m.rule = &netrc;
	CHECK(cw_credfile_covers(&seen, &m)); /* the same rule */
	m.rule = &generic;
	CHECK(!cw_credfile_covers(&seen, &m)); /* a generic guess where the parser did not look */
	seen.parsed = true;
	CHECK(cw_credfile_covers(&seen, &m)); /* ... in a file the parser owns */
	m.rule = &gh;
	CHECK(!cw_credfile_covers(&seen, &m)); /* a provider's token is never a guess */
}

static int count_only(const struct cw_match *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/*
 * Every parser on mangled files (bytes flipped, cut, NULs, lines joined): no crash, no read
 * past the buffer (the ASan build checks), a count never negative.
 */
TEST(credfile_parsers_survive_mangled_files)
{
	static const char *const seeds[] = {
		"machine a login b password \"c\\\"d\nmacdef x\nline\n\ndefault password e\n",
		"https://u:p%4@h/x\nhttps://:@\n",
		"h:5432:d:u:p\\:w\\\na:b\n",
		"[client]\npassword = \"x\nuser=y\n",
		"{\"auths\":{\"r\":{\"auth\":\"dTpw\"}}}",
		"users:\n- name: a\n  user:\n    client-key-data: LS0t\n    token: x #c\n",
		"//h/:_auth=dTpw\n//h/:_password=cA==\n",
		"[p]\naws_secret_access_key=\"a\n",
		"{\"type\":\"service_account\",\"private_key\":\"-----BEGIN PRIVATE "
		"KEY-----\\nQQ\"}",
		"a:$apr1$x$y\nb:{PLAIN}z\nc:r:0123\n",
		"r:!$6$ab$cd:1:2\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END x-----",
		"PuTTY-User-Key-File-2: a\nEncryption: none\nPrivate-MAC: 00\n",
		"SECRET_KEY = os.environ.get('A', 'b\nX = env(\"c\", default='d')\n",
		"define( 'DB_PASSWORD', 'x\\' );\ndefine('AUTH_KEY'\n",
		"<Server><Host>h</Host><Pass encoding=\"base64\">cA</Pass><Pass>",
		"[S\\a]\nPassword=AB\n",
	};
	static const enum cw_credfile_kind kinds[] = {
		CW_CF_NETRC,  CW_CF_GIT_CREDENTIALS, CW_CF_PGPASS,    CW_CF_MYSQL,
		CW_CF_DOCKER, CW_CF_KUBECONFIG,	     CW_CF_NPMRC,     CW_CF_AWS,
		CW_CF_GCLOUD, CW_CF_HTPASSWD,	     CW_CF_SHADOW,    CW_CF_KEY,
		CW_CF_KEY,    CW_CF_DJANGO,	     CW_CF_WORDPRESS, CW_CF_FILEZILLA,
		CW_CF_WINSCP,
	};
	const struct cw_ruleset *rs;
	struct cw_credfiles *cf = NULL;
	struct cw_matcher *m;
	char err[1024];

	REQUIRE(tu_embedded(&rs, &m, err, sizeof(err)) == 0);
	REQUIRE(cw_credfiles_new(rs, &cf) == 0 && cf);
	tu_seed(18);
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		for (int round = 0; round < 300; round++) {
			size_t n = strlen(seeds[s]), cut = tu_below(n + 1);
			char *buf =
				malloc(n ? n : 1); /* exactly the file: ASan sees a read past it */
			int found = 0, ret;

			REQUIRE(buf);
			memcpy(buf, seeds[s], n);
			for (int k = 0; k < 3 && n; k++) /* flip a few bytes to anything */
				buf[tu_below(n)] = (char)tu_rand();
			for (enum cw_credfile_kind k = CW_CF_NETRC; k < CW_CF_COUNT; k++) {
				ret = cw_credfile_scan(cf, m, round % 2 ? kinds[s] : k, buf, cut,
						       "/x", NULL, count_only, &found);
				CHECK(ret >= 0);
			}
			free(buf);
		}
	}
	cw_credfiles_free(cf);
}

TEST(credfile_aws_credential_process_echoing_json)
{
	char *sk = tu_strong("%{alnum:40}", 4.0), text[512];
	struct got *g;

	snprintf(text, sizeof(text),
		 "[profile legacy]\ncredential_process = echo '{\"Version\": 1, \"AccessKeyId\": "
		 "\"ASIAQ3EGRT5YXKPLM7NW\", \"SecretAccessKey\": \"%s\"}'\n"
		 "[profile vault]\ncredential_process = aws-vault export --format=json vault\n",
		 sk);
	g = PARSE("/home/dev/.aws/config", text);
	REQUIRE_N(g, 2);
	CHECK(strstr(g->line[0], "aws-secret-access-key|[profile legacy] credential_process "
				 "SecretAccessKey|-|") == g->line[0]);
	CHECK_EQ_STR(g->line[1], "aws-temporary-access-key-id|[profile legacy] credential_process "
				 "AccessKeyId|-|ASIAQ3EGRT5YXKPLM7NW");
	free(sk);
}

TEST(credfile_rules_ignore_keys_and_missing_rules)
{
	static const char yaml[] = "rules:\n"
				   "  - id: netrc-password\n"
				   "    name: n\n"
				   "    pattern: '(?<key>password|account)\\s+(?<secret>\\S+)'\n"
				   "    ignore_keys: [account]\n";
	struct cw_ruleset rs = { 0 };
	struct cw_credfiles *cf = NULL;
	struct got g = { 0 };
	char err[256];
	static const char netrc[] = "machine a login b password pw-Zq81x account acct-Zq81x\n";
	static const char pgpass[] = "h:5432:d:u:pw-Zq81x\n";
	static const char other[] = "rules:\n  - id: x\n    name: x\n    pattern: x\n";

	REQUIRE(cw_rules_load_buf(&rs, "t.yaml", yaml, strlen(yaml), err, sizeof(err)) == 0);
	REQUIRE(cw_credfiles_new(&rs, &cf) == 0 && cf);
	/* the account field is a key the rule ignores, as the text scan would */
	CHECK_EQ_INT(cw_credfile_scan(cf, NULL, CW_CF_NETRC, netrc, strlen(netrc), "/h/.netrc",
				      NULL, on_find, &g),
		     1);
	CHECK_EQ_STR(g.line[0], "netrc-password|machine a password|weak|pw-Zq81x");
	/* a rule the set lacks: its fields are not reported */
	CHECK_EQ_INT(cw_credfile_scan(cf, NULL, CW_CF_PGPASS, pgpass, strlen(pgpass), "/h/.pgpass",
				      NULL, on_find, &g),
		     0);
	cw_credfiles_free(cf);
	cw_rules_free(&rs);
	/* no credential-file rule at all: no parser */
	REQUIRE(cw_rules_load_buf(&rs, "t.yaml", other, strlen(other), err, sizeof(err)) == 0);
	REQUIRE(cw_credfiles_new(&rs, &cf) == 0);
	CHECK(cf == NULL);
	cw_rules_free(&rs);
}
