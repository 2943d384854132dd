// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seed corpus of fuzz_credfile and fuzz_decode: files and writes shaped as the unit tests'
 * (test_credfile.c, test_decode.c), their secrets made fresh by example_gen so that none is
 * committed. fuzz_credfile's byte 0 is the index of the file's path in credfile_paths.h;
 * fuzz_decode's is where its stream is cut.
 * usage: seed_credfile DIR [KEYFILE]; seed_decode DIR [KEYFILE] (KEYFILE is not used)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credfile_paths.h"
#include "detect/example_gen.h"

struct seed {
	unsigned char first; /* fuzz_credfile: index in credfile_paths; fuzz_decode: the cut */
	const char *tmpl;
};

static const struct seed credfile_seeds[] = {
	{ 0, "machine example.com\n  login alice\n  password %{alnum:16}\n"
	     "machine ftp.corp login bot password \"a b\\\"c-%{alnum:8}\"\ndefault password x\n" },
	{ 1, "https://alice:%{gen:github:ghp_}@github.com\nhttps://bob:%{alnum:12}@git.corp\n" },
	{ 2, "db.corp:5432:*:app:%{alnum:20}\n*:*:*:postgres:a\\:b\n" },
	{ 3, "[client]\nuser=root\npassword=\"%{alnum:18}\"\n[mysqldump]\npassword = x\n" },
	{ 4, "{\"auths\":{\"ghcr.io\":{\"auth\":\"%{base64:24}\"},\"r\":{\"auth\":\"\","
	     "\"identitytoken\":\"%{alnum:32}\"}},\"credsStore\":\"desktop\"}" },
	{ 5,
	  "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: %{alnum:40}\n"
	  "    client-key-data: %{base64:64}\n    password: %{alnum:12}\n" },
	{ 6, "[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\n"
	     "password = pypi-AgEIcHlwaS5vcmc%{base64url:60}\n" },
	{ 7,
	  "//registry.npmjs.org/:_authToken=%{gen:npm}\n//nexus.corp/npm/:_password=%{base64:16}\n"
	  "//nexus.corp/npm/:username=deploy\n" },
	{ 8,
	  "[default]\naws_access_key_id = AKIA%{base32:16}\n"
	  "aws_secret_access_key = %{base64:40}\n[profile x]\naws_session_token=%{base64:80}\n" },
	{ 9, "{\"type\":\"service_account\",\"private_key_id\":\"%{hex:40}\",\"private_key\":"
	     "\"-----BEGIN PRIVATE KEY-----\\n%{base64:64}\\n-----END PRIVATE KEY-----\\n\","
	     "\"client_email\":\"a@b.iam.gserviceaccount.com\",\"refresh_token\":\"1//"
	     "0%{base64url:40}\"}" },
	{ 10, "[default]\naccess_key = %{alnum:20}\nsecret_key = %{base64:40}\n" },
	{ 11, "alice:$apr1$%{alnum:8}$%{base64:22}\nbob:{SHA}%{base64:28}\n" },
	{ 12, "root:$6$%{alnum:8}$%{base64:86}:19000:0:99999:7:::\ndaemon:*:19000::::::\n" },
	{ 13, "-----BEGIN OPENSSH PRIVATE KEY-----\n%{base64:70}\n%{base64:70}\n"
	      "-----END OPENSSH PRIVATE KEY-----\n" },
	{ 15, "DEBUG = False\nSECRET_KEY = '%{alnum:50}'\nDATABASES = {'default': {'PASSWORD': "
	      "'%{alnum:16}'}}\n" },
	{ 16, "production:\n  secret_key_base: %{hex:128}\n" },
	{ 17, "%{hex:32}\n" },
	{ 18,
	  "<?php\ndefine( 'DB_PASSWORD', '%{alnum:16}' );\ndefine('AUTH_KEY', '%{alnum:64}');\n" },
	{ 19, "APP_KEY=base64:%{base64:44}\nDB_PASSWORD=\"%{alnum:14}\"\nexport API_TOKEN='x'\n" },
	{ 20, "<?xml version=\"1.0\"?>\n<FileZilla3><Servers><Server><Host>h</Host><User>u</User>"
	      "<Pass encoding=\"base64\">%{base64:16}</Pass></Server></Servers></FileZilla3>\n" },
	{ 21, "[Sessions\\u@h]\nHostName=h\nUserName=u\nPassword=%{hex:40}\n" },
	{ 22,
	  "{\"host\":\"h\",\"username\":\"u\",\"password\":\"%{alnum:14}\",\"remotePath\":\"/\"}" },
	{ 23, "{\"connections\":{\"pg\":{\"configuration\":{\"user\":\"u\",\"password\":\"%{alnum:"
	      "12}\"}}}}" },
	{ 24, "{\"Servers\":{\"1\":{\"Name\":\"db\",\"Username\":\"u\",\"Password\":\"%{alnum:12}"
	      "\"}}}" },
	{ 25, "DB_PASSWORD=changeme\nAPI_KEY=<your key>\nSECRET=${SECRET}\n" },
	{ 26, "{\"auths\":{\"quay.io\":{\"auth\":\"%{base64:20}\"}}}" },
	{ 27, "notes\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n%{base64:64}\n"
	      "-----END RSA PRIVATE KEY-----\n" },
	{ 28, "apiVersion: v1\nclusters:\n- cluster:\n    server: https://k\n  name: k\nusers:\n"
	      "- name: u\n  user:\n    client-key-data: %{base64:40}\n" },
};

static const struct seed decode_seeds[] = {
	{ 40, "GET / HTTP/1.1\r\nAuthorization: Basic %{base64:32}\r\n\r\n" },
	{ 128,
	  "apiVersion: v1\nkind: Secret\ndata:\n  token: %{base64:60}\n  url: aHR0cHM6Ly94\n" },
	{ 7, "POST /login HTTP/1.1\r\n\r\nuser=a&token=%{gen:github:ghp_}&pw=a%2Bb%3D%26c" },
	{ 200, "{\"key\":\"\\u0067hp_%{alnum:36}\",\"u\":\"https:\\/\\/x\"}" },
	{ 90, "DATABASE_URL=postgres://app:p%40ss%{alnum:10}@db.corp:5432/app\n" },
	{ 60, "{\"jwt\":\"%{gen:jwt:3600}\",\"npm\":\"%{gen:npm}\",\"age\":\"%{gen:age}\"}" },
	{ 30, "curl -H 'Authorization: Basic %{base64:40}' https://api.corp/\n" },
};

static int write_seeds(const char *dir, const struct seed *v, size_t n)
{
	char path[4096], err[256];

	for (size_t i = 0; i < n; i++) {
		char *s = cw_example_expand(v[i].tmpl, err, sizeof(err));
		FILE *f;

		if (!s) {
			fprintf(stderr, "seed: %s: %s\n", v[i].tmpl, err);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/seed-%zu", dir, i);
		f = fopen(path, "wb");
		if (!f || fputc(v[i].first, f) == EOF || fputs(s, f) == EOF || fclose(f)) {
			perror(path);
			return 1;
		}
		free(s);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [KEYFILE]\n", name);
		return 2;
	}
	if (!strcmp(name, "seed_decode"))
		return write_seeds(argv[1], decode_seeds,
				   sizeof(decode_seeds) / sizeof(decode_seeds[0]));
	return write_seeds(argv[1], credfile_seeds,
			   sizeof(credfile_seeds) / sizeof(credfile_seeds[0]));
}
