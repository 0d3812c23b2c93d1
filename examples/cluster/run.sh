#!/usr/bin/env bash
# The `make cluster` topology from local binaries, no container engine:
# three nats-server nodes with JetStream (n1..n3, configs beside this file,
# stores under ./data/cluster), two bridges with --replicas 3 and a small
# round-robin front on :8080.
#
#   examples/cluster/run.sh            start everything in the foreground; Ctrl-C stops it all
#   examples/cluster/run.sh status     which processes run; each node's and bridge's health
#   examples/cluster/run.sh kill n2    kill -9 a node (or b1, b2): a crash
#   examples/cluster/run.sh stop n2    SIGTERM a node: an orderly shutdown (it hands its leaderships over)
#   examples/cluster/run.sh start n2   start a stopped node (or bridge) again, in the background
#
# Run from the repository's root (make cluster does). Ports: webhooks on
# :8080 (the front) and :8081, :8082 (the bridges), bridge admin on
# 127.0.0.1:9091 and :9092, NATS clients on 127.0.0.1:4222-4224, routes on
# 6222-6224, NATS monitoring on 8222-8224. Logs: data/cluster/logs/.
set -euo pipefail

GO=${GO:-go}
NATS_SERVER_VERSION=v2.15.2
here=examples/cluster
data=data/cluster
run=$data/run   # one <name>.pid per process started here
logs=$data/logs
bin=bin/cluster
nats_urls=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224

# Development-only secrets for the example mappings, as `make run` sets them.
export STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET:-whsec_dev_only_not_a_real_secret}
export GITHUB_WEBHOOK_SECRET=${GITHUB_WEBHOOK_SECRET:-dev-only-not-a-real-secret}
export MERCADOPAGO_WEBHOOK_SECRET=${MERCADOPAGO_WEBHOOK_SECRET:-dev-only-not-a-real-secret}
export SLACK_WEBHOOK_SECRET=${SLACK_WEBHOOK_SECRET:-dev-only-not-a-real-secret}
export SHOPIFY_WEBHOOK_SECRET=${SHOPIFY_WEBHOOK_SECRET:-dev-only-not-a-real-secret}

if [ ! -f "$here/run.sh" ]; then
	echo "run.sh: run it from the repository's root (make cluster)" >&2
	exit 2
fi

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

# nats_server prints the nats-server binary to use, installing it with
# go install into ./bin when there is no nats-server of the right version
# there or on PATH. NATS_SERVER=/path/to/nats-server overrides it.
nats_server() {
	if [ -n "${NATS_SERVER:-}" ]; then
		echo "$NATS_SERVER"
		return
	fi
	local b
	for b in "$PWD/bin/nats-server" "$(command -v nats-server || true)"; do
		if [ -n "$b" ] && [ -x "$b" ] && "$b" --version 2>/dev/null | grep -q "$NATS_SERVER_VERSION"; then
			echo "$b"
			return
		fi
	done
	say "installing nats-server $NATS_SERVER_VERSION into ./bin (go install)" >&2
	GOBIN="$PWD/bin" "$GO" install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION" >&2
	echo "$PWD/bin/nats-server"
}

# pid_of NAME prints the pid of a process this script started, if it runs.
pid_of() {
	local f=$run/$1.pid pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	# The pid must still be ours: alive, and the program we started.
	if kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o args= | grep -q -e "nats-server" -e "$bin/"; then
		echo "$pid"
		return 0
	fi
	rm -f "$f"
	return 1
}

# start NAME: starts one process in the background, its output in its log.
start() {
	local name=$1 i pid
	if pid=$(pid_of "$name"); then
		say "$name already runs (pid $pid)"
		return 0
	fi
	case $name in
	n1 | n2 | n3)
		"$NATS" --config "$here/$name.conf" >>"$logs/$name.log" 2>&1 &
		;;
	b1 | b2)
		i=${name#b}
		"$bin/bridge" run --nats-url "$nats_urls" --replicas 3 \
			--nats-monitor-url "http://127.0.0.1:$((8221 + i))" \
			--http ":808$i" --admin "127.0.0.1:909$i" \
			--mappings ./mappings --schemas ./schemas --log-format text --events-auth none \
			>>"$logs/$name.log" 2>&1 &
		;;
	front)
		"$bin/front" -listen :8080 -backends http://127.0.0.1:8081,http://127.0.0.1:8082 \
			-ready http://127.0.0.1:9091/readyz,http://127.0.0.1:9092/readyz \
			>>"$logs/$name.log" 2>&1 &
		;;
	*)
		echo "run.sh: unknown process $name (n1, n2, n3, b1, b2, front)" >&2
		return 2
		;;
	esac
	echo $! >"$run/$name.pid"
	say "$name started (pid $!, log $logs/$name.log)"
}

# wait_http URL WHAT: waits up to 60s for URL to answer 200.
wait_http() {
	local url=$1 what=$2 i
	for i in $(seq 1 600); do
		if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	say "$what not ready after 60s ($url); see $logs/" >&2
	return 1
}

signal() {
	local sig=$1 name=$2 pid
	if ! pid=$(pid_of "$name"); then
		say "$name does not run"
		return 0
	fi
	kill "-$sig" "$pid"
	say "sent SIG$sig to $name (pid $pid)"
}

status() {
	local name pid
	for name in n1 n2 n3 b1 b2 front; do
		if pid=$(pid_of "$name"); then
			printf '%-6s pid %-8s' "$name" "$pid"
		else
			printf '%-6s %-12s' "$name" "stopped"
		fi
		case $name in
		n?) printf ' healthz: %s\n' "$(curl -sS --max-time 2 "http://127.0.0.1:$((8221 + ${name#n}))/healthz?js-enabled-only=true" 2>&1 || true)" ;;
		b?) printf ' readyz: %s\n' "$(curl -sS --max-time 3 "http://127.0.0.1:909${name#b}/readyz" 2>&1 || true)" ;;
		*) echo ;;
		esac
	done
}

# stop_all: the front, then the bridges (they drain), then the nodes.
stop_all() {
	trap - INT TERM EXIT
	say "stopping"
	local name pid pids
	for group in "front" "b1 b2" "n1 n2 n3"; do
		pids=()
		for name in $group; do
			if pid=$(pid_of "$name"); then
				kill -TERM "$pid" 2>/dev/null || true
				pids+=("$pid")
			fi
		done
		for pid in "${pids[@]}"; do
			for _ in $(seq 1 400); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		done
	done
	rm -f "$run"/*.pid
	say "stopped; the stores stay under $data (delete it for a fresh start)"
}

up() {
	local name
	for name in n1 n2 n3 b1 b2 front; do
		if pid_of "$name" >/dev/null; then
			echo "run.sh: $name already runs: is another make cluster running? (run.sh status)" >&2
			exit 1
		fi
	done
	for port in 8080 8081 8082 9091 9092 4222 4223 4224 6222 6223 6224 8222 8223 8224; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "run.sh: port $port is taken; stop what listens there first" >&2
			exit 1
		fi
	done
	NATS=$(nats_server)
	say "building the bridge and the front into $bin"
	"$GO" build -o "$bin/bridge" ./cmd/bridge
	"$GO" build -o "$bin/front" ./$here/front

	trap 'stop_all; exit 130' INT
	trap 'stop_all; exit 143' TERM
	trap stop_all EXIT
	for name in n1 n2 n3; do start "$name"; done
	for i in 1 2 3; do wait_http "http://127.0.0.1:$((8221 + i))/healthz?js-enabled-only=true" "n$i"; done
	for name in b1 b2; do start "$name"; done
	# The first start creates the R3 streams and bucket: it waits for the
	# JetStream meta leader, then for three nodes to hold them.
	for i in 1 2; do wait_http "http://127.0.0.1:909$i/readyz" "b$i"; done
	start front
	cat <<EOF

  The cluster runs. From another terminal:

    curl -sS -X POST localhost:8080/webhooks/pix -H 'Content-Type: application/json' --data-binary @examples/pix/pix.single.json
    curl -sS 'http://127.0.0.1:8222/jsz?streams=true' | grep -e '"name"' -e '"messages"' -e '"leader"'
    examples/cluster/run.sh status
    examples/cluster/run.sh kill n2      # a crash: deliveries wait (or get 503) while the others elect leaders
    examples/cluster/run.sh start n2     # it rejoins and catches up

  Logs in $logs/. Ctrl-C stops everything.

EOF
	# Wait until Ctrl-C, or until every process has stopped.
	while true; do
		local alive=0
		for name in n1 n2 n3 b1 b2 front; do
			if pid_of "$name" >/dev/null; then alive=1; fi
		done
		[ "$alive" = 1 ] || break
		sleep 1
	done
	say "every process has stopped"
}

mkdir -p "$run" "$logs" "$bin"
case ${1:-up} in
up) up ;;
status) status ;;
kill) signal KILL "${2:?which process: n1, n2, n3, b1, b2}" ;;
stop) signal TERM "${2:?which process: n1, n2, n3, b1, b2}" ;;
start)
	NATS=$(nats_server)
	start "${2:?which process: n1, n2, n3, b1, b2, front}"
	;;
*)
	echo "usage: $0 [up | status | kill NAME | stop NAME | start NAME]" >&2
	exit 2
	;;
esac
