// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>

#include "test.h"
#include "output/output_spec.h"

static struct cw_output_spec o;
static char err[1024];

static int parse(const char *s)
{
	err[0] = '\0';
	return cw_output_spec_parse(s, &o, err, sizeof(err));
}

TEST(output_spec_stdout_and_file)
{
	REQUIRE(parse("stdout") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_STDOUT);
	CHECK_EQ_INT(o.format, CW_FORMAT_ECS);
	CHECK(!o.spool);
	REQUIRE(parse("file:/var/log/cw.json") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_FILE);
	CHECK_EQ_STR(o.target, "/var/log/cw.json");
	CHECK_EQ_STR(o.spec, "file:/var/log/cw.json");
	CHECK_EQ_INT(o.rotate_bytes, 100 << 20);
	CHECK_EQ_INT(o.rotate_keep, 5);
	REQUIRE(parse("file:/x.json,rotate-size=10k,rotate-keep=2,format=ocsf") == 0);
	CHECK_EQ_INT(o.rotate_bytes, 10240);
	CHECK_EQ_INT(o.rotate_keep, 2);
	CHECK_EQ_INT(o.format, CW_FORMAT_OCSF);
	REQUIRE(parse("file:/x.json,rotate-size=0") == 0);
	CHECK_EQ_INT(o.rotate_bytes, 0);
	CHECK_EQ_STR(cw_sink_kind_name(o.kind), "file");
}

TEST(output_spec_syslog)
{
	REQUIRE(parse("syslog://10.0.0.1:514") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_SYSLOG_UDP);
	CHECK_EQ_STR(o.host, "10.0.0.1");
	CHECK_EQ_INT(o.port, 514);
	CHECK(o.spool);
	CHECK_EQ_INT(o.facility, 10);
	CHECK_EQ_STR(o.app_name, "credwatch");
	REQUIRE(parse("syslog+tcp://siem.example") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_SYSLOG_TCP);
	CHECK_EQ_INT(o.port, 514);
	REQUIRE(parse("syslog+tls://[::1]:6515,ca=/etc/ca.pem,facility=local3,app-name=cw") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_SYSLOG_TLS);
	CHECK_EQ_STR(o.host, "::1");
	CHECK_EQ_INT(o.port, 6515);
	CHECK_EQ_STR(o.ca_file, "/etc/ca.pem");
	CHECK_EQ_INT(o.facility, 19);
	CHECK_EQ_STR(o.app_name, "cw");
	REQUIRE(parse("syslog+tls://h") == 0);
	CHECK_EQ_INT(o.port, 6514);
	REQUIRE(parse("syslog+tcp://h:1,facility=0,batch=10,batch-ms=0,timeout-ms=500,spool=off") ==
		0);
	CHECK_EQ_INT(o.facility, 0);
	CHECK_EQ_INT(o.batch_max, 10);
	CHECK_EQ_INT(o.batch_ms, 0);
	CHECK_EQ_INT(o.timeout_ms, 500);
	CHECK(!o.spool);
	CHECK_EQ_STR(cw_sink_kind_name(o.kind), "syslog+tcp");
}

TEST(output_spec_https_kinds)
{
	REQUIRE(parse("https://splunk.example:8088/services/collector/event,token-file=/t") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_HEC);
	CHECK_EQ_STR(o.host, "splunk.example");
	CHECK_EQ_INT(o.port, 8088);
	CHECK_EQ_STR(o.target, "https://splunk.example:8088/services/collector/event");
	CHECK_EQ_STR(o.token_file, "/t");
	CHECK(o.gzip);
	REQUIRE(parse("https://es.example/credwatch/_bulk,gzip=off") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_BULK);
	CHECK_EQ_INT(o.port, 443);
	CHECK(!o.gzip);
	REQUIRE(parse("http://127.0.0.1:9200/_bulk,index=cw") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_BULK);
	CHECK_EQ_INT(o.port, 9200);
	CHECK_EQ_STR(o.index, "cw");
	REQUIRE(parse("https://hooks.example/in/credwatch") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_WEBHOOK);
	REQUIRE(parse("https://hooks.example/in,type=hec,cert=/c,key=/k") == 0);
	CHECK_EQ_INT(o.kind, CW_SINK_HEC);
	CHECK_EQ_STR(o.cert_file, "/c");
	CHECK_EQ_STR(o.key_file, "/k");
}

static void check_error(const char *spec, const char *want)
{
	int ret = parse(spec);

	CHECK_EQ_INT(ret, -EINVAL);
	if (ret == -EINVAL)
		CHECK_CONTAINS(err, want);
	CHECK(!strchr(err, '\n'));
}

TEST(output_spec_errors_say_what_is_wrong)
{
	check_error("", "empty output spec");
	check_error("kafka://x", "unknown output");
	check_error("file:", "no path after file:");
	check_error("syslog://", "no host");
	check_error("syslog://:514", "no host");
	check_error("syslog://h:0", "bad port '0'");
	check_error("syslog://h:65536", "bad port");
	check_error("syslog://h:x1", "bad port");
	check_error("syslog://h:", "bad port");
	check_error("syslog://[::1", "unclosed '['");
	check_error("syslog://[::1]x", "junk after ']'");
	check_error("syslog://h:514/path", "no path");
	check_error("syslog://h@x:514", "'@' in the host name");
	check_error("https://h", "no path");
	check_error("https://h/", "no path");
	check_error("https://h/a b", "space or control");
	check_error("stdout,format=xml", "format=xml: ecs or ocsf");
	check_error("stdout,batch=5", "option 'batch' does not apply to a stdout output");
	check_error("file:/x,facility=user", "'facility' does not apply to a file output");
	check_error("syslog://h,rotate-size=1M", "'rotate-size' does not apply");
	check_error("syslog://h,token-file=/t", "'token-file' does not apply");
	check_error("syslog://h,timeout-ms=5", "'timeout-ms' does not apply to a syslog output");
	check_error("syslog://h,ca=/x", "'ca' does not apply");
	check_error("syslog+tcp://h,facility=mars", "facility=mars: not a facility");
	check_error("syslog+tcp://h,facility=24", "facility=24: out of range");
	check_error("syslog+tcp://h,app-name=a b", "printable ASCII");
	check_error("syslog+tcp://h,app-name=", "1 to 48 characters");
	check_error("syslog+tcp://h,app-name=0123456789012345678901234567890123456789012345678",
		    "1 to 48");
	check_error("syslog+tcp://h,batch=0", "batch=0: out of range");
	check_error("syslog+tcp://h,batch=1x", "batch=1x: not a number");
	check_error("syslog+tcp://h,batch=-1", "not a number");
	check_error("syslog+tcp://h,batch-ms=60001", "out of range");
	check_error("syslog+tcp://h,spool=maybe", "spool=maybe: on or off");
	check_error("syslog+tcp://h,oops", "'oops' is not KEY=VALUE");
	check_error("syslog+tcp://h,=x", "is not KEY=VALUE");
	check_error("syslog+tls://h,ca=", "ca=: empty file name");
	check_error("syslog+tls://h,cert=/c", "cert= and key= go together");
	check_error("https://h/_bulk,type=kafka", "type=kafka: hec, bulk or webhook");
	check_error("https://h/_bulk,index=a/b", "not an index name");
	check_error("https://h/_bulk,gzip=2", "gzip=2: on or off");
	check_error("file:/x,rotate-size=5T", "not a number");
	check_error("file:/x,rotate-keep=1001", "out of range");
	check_error("file:/x\t", "control character");
}

TEST(output_spec_error_names_the_spec)
{
	REQUIRE(parse("syslog+tcp://siem:514,batch=0") == -EINVAL);
	CHECK_CONTAINS(err, "syslog+tcp://siem:514,batch=0: batch=0");
}

TEST(output_spec_too_long)
{
	char s[CW_OUTPUT_STR + 8];

	memset(s, 'a', sizeof(s) - 1);
	memcpy(s, "file:/", 6);
	s[sizeof(s) - 1] = '\0';
	check_error(s, "output spec too long");
}
