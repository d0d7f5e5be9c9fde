#!/usr/bin/env bash
# Benchmarks rsockd against Dante and microsocks in one run, over SOCKS4
# (rsockd, Dante) and SOCKS5 (all three), and prints a table plus the ratios
# the performance issues ask for: connections/s, latency, throughput and
# memory per held session.
# See docs/benchmark.md for what each number means.
#
# Run from the repository root:  testing/bench.sh
#
# Tunables (environment):
#   SERVERS          which servers to measure        "rsockd rsockd5 rsockd5-auth
#                                                     rsockd-1k rsockd-route
#                                                     rsockd-chain dante dante5
#                                                     dante-chain microsocks"
#                    rsockd, dante: SOCKS4; rsockd5, dante5, microsocks:
#                    SOCKS5 with no authentication; rsockd5-auth: SOCKS5
#                    username/password against a one-user yescrypt
#                    --password_file (connection rate only, and the share
#                    of its CPU in libcrypt when perf(1) can tell);
#                    dante5: connection rate only;
#                    rsockd-1k: rsockd with a 1,000-line sockd.conf whose
#                    last line permits (connection rate only);
#                    rsockd-route: rsockd with a sockd.route giving every
#                    connection the source 127.0.0.2 (connection rate only);
#                    rsockd-chain / dante-chain: two hops, the first routing
#                    every request through the second (socks.conf `sockd @=`,
#                    Dante `route {}`); connection rate and single stream
#   ROUNDS           rounds of the rate/throughput   3 (the median round is
#                    tests                           reported)
#   DURATION         each connection-rate run        5s
#   CONN_THREADS     client threads for connrate     "1 8 64"
#   TP_BYTES         single-stream bytes             1073741824 (1 GiB)
#   TP_STREAMS       parallel streams                8 (TP_BYTES/TP_STREAMS each)
#   HOLD_SESSIONS    held-session counts             "1000 5000"
#   HOLD_SETTLE      pause before measuring memory   2 (seconds)
#   RSOCKD_WORKERS   rsockd --workers                5300 (one thread per session:
#                                                    must cover HOLD_SESSIONS)
#   RSOCKD_QUEUE     rsockd --queue                  256
#   RSOCKD_FLAGS     extra rsockd flags              ""
#   DANTE_MAINS      danted -N (main processes)      1
#   BAZEL_STARTUP    bazel startup options, e.g. --output_base=/root/.cache/bazel_bench
#   SKIP_BUILD=1     use the binaries already built (still found via bazel info)
#   KEEP_WORKDIR=1   keep the scratch directory (configs, logs, raw results)
# SERVERS, CONN_THREADS and HOLD_SESSIONS may be set to "" to skip those.
#
# Everything talks to 127.0.0.0/8 only; every wait below is bounded; every
# process this script starts is stopped by its PID on exit.

set -uo pipefail

SERVERS=${SERVERS-"rsockd rsockd5 rsockd5-auth rsockd-1k rsockd-route rsockd-chain dante dante5 dante-chain microsocks"}
DURATION=${DURATION:-5s}
CONN_THREADS=${CONN_THREADS-"1 8 64"}
TP_BYTES=${TP_BYTES:-1073741824}
TP_STREAMS=${TP_STREAMS:-8}
HOLD_SESSIONS=${HOLD_SESSIONS-"1000 5000"}
HOLD_SETTLE=${HOLD_SETTLE:-2}
ROUNDS=${ROUNDS:-3}
RSOCKD_WORKERS=${RSOCKD_WORKERS:-5300}
RSOCKD_QUEUE=${RSOCKD_QUEUE:-256}
RSOCKD_FLAGS=${RSOCKD_FLAGS:-}
DANTE_MAINS=${DANTE_MAINS:-1}
BAZEL_STARTUP=${BAZEL_STARTUP:-}

if [[ ! -f WORKSPACE || ! -d testing ]]; then
  echo "bench.sh: run from the repository root" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/rsockd-bench.XXXXXX)
echo "permit 127.0.0.0 255.0.0.0" >"$WORK/sockd.conf"
# PIDs this script started and has not yet seen exit.
declare -a STARTED=()
declare -A R=()  # R[server|test|key]=value, from RESULT lines
declare -A PID_OF=() PORT_OF=() PROTO_OF=()  # per running server
declare -A TARGET_OF=() BACK_OF=()  # load generator's server address; 2nd hop
declare -A AUTH_OF=()  # "user password" for SOCKS5 username/password

log() { echo "bench: $*" >&2; }

# $1 and its descendants, one PID a line, from a single ps(1) snapshot.
process_tree() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2; pid[NR] = $1 }
    END {
      if (!(root in parent)) exit
      print root
      tree[root] = 1
      for (changed = 1; changed;) {
        changed = 0
        for (i = 1; i <= NR; i++) {
          p = pid[i]
          if (!(p in tree) && (parent[p] in tree)) { tree[p] = 1; print p; changed = 1 }
        }
      }
    }'
}

# Sum of Pss (KiB) over the process tree rooted at $1. Dante forks negotiate,
# request and io children, so the whole tree counts; PSS splits shared pages
# between the processes sharing them, so the sum is not inflated by them.
pss_tree_kib() {
  local files=() pid
  for pid in $(process_tree "$1"); do files+=("/proc/$pid/smaps_rollup"); done
  ((${#files[@]})) || { echo 0; return; }
  cat "${files[@]}" 2>/dev/null | awk '/^Pss:/ { kib += $2 } END { print kib + 0 }'
}

kernel_stack_kib() { awk '/^KernelStack:/ {print $2}' /proc/meminfo; }

# Stops $1 and its descendants by PID: TERM, a bounded wait, then KILL.
stop_tree() {
  local root=$1 pids pid i kept=()
  for pid in "${STARTED[@]}"; do [[ $pid == "$root" ]] || kept+=("$pid"); done
  STARTED=("${kept[@]}")
  pids=$(process_tree "$root")
  if [[ -z $pids ]]; then
    wait "$root" 2>/dev/null
    return 0
  fi
  kill -TERM "$root" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    local alive=0
    for pid in $pids; do [[ -d /proc/$pid ]] && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
  wait "$root" 2>/dev/null
}

cleanup() {
  local i
  # Newest first: the load generator before the server it is talking to.
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_tree "${STARTED[i]}"; done
  if [[ -n ${KEEP_WORKDIR:-} ]]; then
    log "scratch files kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port on 127.0.0.1 for servers that cannot report the one they bound.
# Racy: another process may take the port between this close and the server's
# bind; the server then fails to start and the wait below reports it.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (bounded) until something listens on 127.0.0.1:$1 and process $2 lives.
wait_listening() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 100; i++)); do
    [[ -d /proc/$pid ]] || return 1
    if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1
  done
  return 1
}

# --- build ------------------------------------------------------------------

ulimit -n "$(ulimit -Hn)"  # the servers inherit it: a held session is 2 fds
HAVE_RSOCKD=1
if [[ -z ${SKIP_BUILD:-} ]]; then
  log "building (bazel ${BAZEL_STARTUP} build -c opt)"
  if ! bazel $BAZEL_STARTUP build -c opt //rsockd:rsockd //testing:socks_load \
      >"$WORK/build.log" 2>&1; then
    log "//rsockd:rsockd did not build; building socks_load alone"
    HAVE_RSOCKD=0
    if ! bazel $BAZEL_STARTUP build -c opt //testing:socks_load \
        >>"$WORK/build.log" 2>&1; then
      tail -30 "$WORK/build.log" >&2
      exit 1
    fi
  fi
fi
# bazel-bin is a symlink into whichever output base built last; ask Bazel.
BIN=$(bazel $BAZEL_STARTUP info -c opt bazel-bin 2>/dev/null)
LOAD=$BIN/testing/socks_load
RSOCKD=$BIN/rsockd/rsockd
[[ -x $LOAD ]] || { log "no $LOAD"; exit 1; }
[[ -x $RSOCKD ]] || HAVE_RSOCKD=0

for sessions in $HOLD_SESSIONS; do
  if ((RSOCKD_WORKERS > 0 && sessions > RSOCKD_WORKERS)); then
    log "WARNING: HOLD_SESSIONS $sessions > RSOCKD_WORKERS $RSOCKD_WORKERS:" \
      "rsockd runs one worker per session and will queue or refuse the rest"
  fi
done

# The one user of rsockd5-auth's --password_file, and the password the load
# generator sends: RFC 1929 with the yescrypt hash Debian makes by default,
# so each connection pays one crypt(3) check as a real deployment would.
BENCH_USER=bench
BENCH_PASSWORD=bench-password
PASSWORD_FILE=$WORK/passwords

# Writes $PASSWORD_FILE (once) with a yescrypt hash made now: by mkpasswd,
# else by python3's crypt module (gone from Python 3.13) with a yescrypt
# setting of Debian's default cost and a random salt. The salt is 20
# characters, 15 whole bytes: crypt(3) refuses a yescrypt salt whose last
# character carries bits past the last byte.
make_password_file() {
  [[ -s $PASSWORD_FILE ]] && return 0
  local hash
  if command -v mkpasswd >/dev/null; then
    hash=$(mkpasswd -m yescrypt "$BENCH_PASSWORD") || return 1
  else
    hash=$(python3 -W ignore -c '
import crypt, secrets, sys
alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
salt = "".join(secrets.choice(alphabet) for _ in range(20))
print(crypt.crypt(sys.argv[1], "$y$j9T$" + salt + "$") or "")' "$BENCH_PASSWORD" 2>/dev/null) || return 1
  fi
  [[ $hash == '$y$'* ]] || return 1
  echo "$BENCH_USER:$hash" >"$PASSWORD_FILE"
}

available() {
  case $1 in
    rsockd | rsockd5 | rsockd-1k | rsockd-route | rsockd-chain)
      ((HAVE_RSOCKD)) || { log "skipping $1: $RSOCKD not built"; return 1; } ;;
    rsockd5-auth)
      ((HAVE_RSOCKD)) || { log "skipping $1: $RSOCKD not built"; return 1; }
      make_password_file || { log "skipping $1: neither mkpasswd (package whois) nor python3's crypt module makes a yescrypt hash"; return 1; } ;;
    dante | dante5 | dante-chain) [[ -x /usr/sbin/danted ]] || { log "skipping $1: no /usr/sbin/danted"; return 1; } ;;
    microsocks) [[ -x /usr/bin/microsocks ]] || { log "skipping microsocks: no /usr/bin/microsocks"; return 1; } ;;
    *) log "unknown server $1"; return 1 ;;
  esac
}

# --- servers ----------------------------------------------------------------

# Starts rsockd with sockd.conf $1 (path); more flags follow. Sets
# SERVER_PID and SERVER_PORT.
start_rsockd() {
  local conf=$1 port_file i
  shift
  port_file=$(mktemp "$WORK/rsockd.port.XXXXXX")
  rm -f "$port_file"
  "$RSOCKD" --listen=127.0.0.1 --port=0 --port_file="$port_file" \
    --sockd_conf="$conf" --socks_conf= --route_file= \
    --workers="$RSOCKD_WORKERS" --queue="$RSOCKD_QUEUE" --drain_timeout=2s \
    $RSOCKD_FLAGS "$@" </dev/null >>"$WORK/rsockd.log" 2>&1 &
  SERVER_PID=$!
  STARTED+=("$SERVER_PID")
  for ((i = 0; i < 100; i++)); do
    [[ -s $port_file ]] && break
    [[ -d /proc/$SERVER_PID ]] || break
    sleep 0.1
  done
  SERVER_PORT=$(tr -dc 0-9 <"$port_file" 2>/dev/null)
}

# Starts danted on a free port, forwarding through the SOCKS4 server on
# 127.0.0.1:$1 when given. Sets SERVER_PID and SERVER_PORT.
start_dante() {
  local via=${1:-} conf
  SERVER_PORT=$(free_port)
  conf=$WORK/danted.$SERVER_PORT.conf
  # Dante has no SOCKS4A but plain SOCKS4 is all the benchmark uses. It
  # forks children on demand (negotiate, request: one client each while
  # connecting, io: 32 sessions each), with no configured cap; the limits
  # are RLIMIT_NPROC and memory. Logging stays at errors only so it
  # costs nothing per session.
  {
    echo "logoutput: $WORK/danted.log"
    echo "internal: 127.0.0.1 port = $SERVER_PORT"
    echo "external: 127.0.0.1"
    echo "clientmethod: none"
    echo "socksmethod: none"
    echo "user.privileged: root"
    echo "user.unprivileged: nobody"
    echo "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }"
    echo "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }"
    if [[ -n $via ]]; then
      # danted's parser wants these on separate lines.
      echo "route {"
      echo "  from: 0.0.0.0/0 to: 0.0.0.0/0 via: 127.0.0.1 port = $via"
      echo "  proxyprotocol: socks_v4"
      echo "  command: connect"
      echo "}"
    fi
  } >"$conf"
  # Without -D danted stays in the foreground: $! is the mother process.
  /usr/sbin/danted -f "$conf" -p "$conf.pid" -N "$DANTE_MAINS" \
    </dev/null >>"$WORK/danted.out" 2>&1 &
  SERVER_PID=$!
  STARTED+=("$SERVER_PID")
}

# Starts server $1; sets SERVER_PID, SERVER_PORT and PROTOCOL and records
# them in PID_OF, PORT_OF and PROTO_OF. Two-hop chains record the second
# hop in BACK_OF. rsockd always reaches 127.0.0.1 directly, whatever
# socks.conf says, so the load generator's servers for chains listen on
# 127.0.0.2: TARGET_OF says where.
start_server() {
  local name=$1
  PROTOCOL=socks4
  TARGET_OF[$name]=127.0.0.1
  case $name in
    rsockd)
      start_rsockd "$WORK/sockd.conf"
      ;;
    rsockd5)
      # rsockd as configured for the rsockd line (no --password_file, so
      # SOCKS5 clients get "no authentication"), measured over SOCKS5.
      PROTOCOL=socks5
      start_rsockd "$WORK/sockd.conf"
      ;;
    rsockd5-auth)
      PROTOCOL=socks5
      AUTH_OF[$name]="$BENCH_USER $BENCH_PASSWORD"
      start_rsockd "$WORK/sockd.conf" --password_file="$PASSWORD_FILE" \
        --socks5_auth=password
      ;;
    rsockd-1k)
      # 999 lines that every benchmark client fails, then the permit: each
      # connection is checked against all 1,000.
      local i
      for ((i = 0; i < 999; i++)); do
        echo "deny 10.$((i / 256)).$((i % 256)).0 255.255.255.0"
      done >"$WORK/sockd-1k.conf"
      echo "permit 127.0.0.0 255.0.0.0" >>"$WORK/sockd-1k.conf"
      start_rsockd "$WORK/sockd-1k.conf"
      ;;
    rsockd-route)
      # Every outgoing connection from the fixed source 127.0.0.2: a bind(2)
      # before connect(2) without IP_BIND_ADDRESS_NO_PORT would reserve an
      # ephemeral port per connection and run out at this rate.
      echo "127.0.0.2 127.0.0.0 255.0.0.0" >"$WORK/sockd.route"
      start_rsockd "$WORK/sockd.conf" --route_file="$WORK/sockd.route"
      ;;
    rsockd-chain)
      TARGET_OF[$name]=127.0.0.2
      start_rsockd "$WORK/sockd.conf"
      BACK_OF[$name]=$SERVER_PID
      [[ -n $SERVER_PORT ]] || return 1
      echo "sockd @=127.0.0.1:$SERVER_PORT ALL" >"$WORK/socks-chain.conf"
      start_rsockd "$WORK/sockd.conf" --socks_conf="$WORK/socks-chain.conf"
      ;;
    dante)
      start_dante
      ;;
    dante5)
      # The same danted.conf as dante: socksmethod none, and `socks pass`
      # without `protocol:` covers SOCKS4 and SOCKS5 alike.
      PROTOCOL=socks5
      start_dante
      ;;
    dante-chain)
      TARGET_OF[$name]=127.0.0.2
      start_dante
      BACK_OF[$name]=$SERVER_PID
      wait_listening "$SERVER_PORT" "$SERVER_PID" || return 1
      start_dante "$SERVER_PORT"
      ;;
    microsocks)
      # SOCKS5 only; one thread per client, 1 KiB relay buffer.
      PROTOCOL=socks5
      SERVER_PORT=$(free_port)
      /usr/bin/microsocks -i 127.0.0.1 -p "$SERVER_PORT" \
        </dev/null >>"$WORK/microsocks.log" 2>&1 &
      SERVER_PID=$!
      STARTED+=("$SERVER_PID")
      ;;
  esac
  if [[ -z ${SERVER_PORT:-} ]] || ! wait_listening "$SERVER_PORT" "$SERVER_PID"; then
    log "$name did not start listening; see $WORK/$name.* (set KEEP_WORKDIR=1)"
    stop_tree "$SERVER_PID"
    return 1
  fi
  PID_OF[$name]=$SERVER_PID
  PORT_OF[$name]=$SERVER_PORT
  PROTO_OF[$name]=$PROTOCOL
  # Let forked children (Dante) come up before anything is measured.
  sleep 0.5
}

# Records `RESULT k=v ...` from stdin under R[$1|$2|k]; echoes the line.
record() {
  local server=$1 test=$2 line token
  while IFS= read -r line; do
    [[ $line == RESULT* ]] || continue
    echo "  $server $test: ${line#RESULT }" >&2
    echo "$server $test $line" >>"$WORK/results.txt"
    for token in $line; do
      [[ $token == *=* ]] && R["$server|$test|${token%%=*}"]=${token#*=}
    done
  done
}

# Sets TARGET_ARGS to socks_load's flags for reaching running server $1 (or
# none for "direct"): proxy, protocol, where its servers listen, credentials.
set_target_args() {
  local server=$1
  TARGET_ARGS=(--protocol=none --label="$server")
  [[ $server == direct ]] && return
  TARGET_ARGS=(--proxy="127.0.0.1:${PORT_OF[$server]}"
    --protocol="${PROTO_OF[$server]}" --target_ip="${TARGET_OF[$server]}"
    --label="$server")
  if [[ -n ${AUTH_OF[$server]:-} ]]; then
    TARGET_ARGS+=(--socks5_user="${AUTH_OF[$server]%% *}"
      --socks5_password="${AUTH_OF[$server]#* }")
  fi
}

# Runs socks_load against a running server (or "direct"); $1 server, $2 test
# id, the rest socks_load flags.
load() {
  local server=$1 test=$2
  shift 2
  set_target_args "$server"
  # Process substitution, not a pipe: record must run in this shell to fill R.
  record "$server" "$test" < <("$LOAD" "${TARGET_ARGS[@]}" "$@" \
    </dev/null 2>>"$WORK/load.log")
}

# Variants measured for one cost only: rules, routes and authentication
# show in the connection rate; chains in the rate and single-stream
# throughput. dante5 is dante, configured alike, over SOCKS5: past the
# handshake it relays as dante does.
rate_only() { [[ $1 == rsockd-1k || $1 == rsockd-route || $1 == rsockd5-auth || $1 == dante5 ]]; }
is_chain() { [[ $1 == *-chain ]]; }

# Round $1 of the rate and throughput tests, interleaved: each test runs on
# every server in turn, so that load from elsewhere on the machine, which
# drifts over minutes, hits all of them alike.
run_round() {
  local round=$1 threads server
  for threads in $CONN_THREADS; do
    for server in direct "${MEASURED[@]}"; do
      load "$server" "conn$threads#$round" --mode=connrate --threads="$threads" \
        --duration="$DURATION"
    done
  done
  for server in direct "${MEASURED[@]}"; do
    rate_only "$server" && continue
    load "$server" "tp1#$round" --mode=throughput --streams=1 --bytes="$TP_BYTES"
  done
  for server in direct "${MEASURED[@]}"; do
    rate_only "$server" || is_chain "$server" && continue
    load "$server" "tp$TP_STREAMS#$round" --mode=throughput \
      --streams="$TP_STREAMS" --bytes=$((TP_BYTES / TP_STREAMS))
  done
}

# Keeps, for each server and test, the round with the median of metric $2
# ($1 = test id): copies its keys to R[server|test|key].
pick_median() {
  local test=$1 metric=$2 server r key chosen
  for server in direct "${MEASURED[@]}"; do
    chosen=$(for ((r = 1; r <= ROUNDS; r++)); do
      [[ -n ${R[$server|$test#$r|$metric]:-} ]] && echo "${R[$server|$test#$r|$metric]} $r"
    done | sort -n | awk '{ v[NR] = $2 } END { if (NR) print v[int((NR + 1) / 2)] }')
    [[ -n $chosen ]] || continue
    for key in "${!R[@]}"; do
      if [[ $key == "$server|$test#$chosen|"* ]]; then
        R["$server|$test|${key##*|}"]=${R[$key]}
      fi
    done
    # Errors count over all rounds, not just the median one.
    local errors=0
    for ((r = 1; r <= ROUNDS; r++)); do
      errors=$((errors + ${R[$server|$test#$r|errors]:-0}))
    done
    R["$server|$test|errors"]=$errors
  done
}

# The share of rsockd5-auth's CPU spent checking passwords, from perf(1)
# sampling through one more 8-thread connection-rate run, which the medians
# leave out: the samples of its PID with libcrypt on the call stack (crypt_r,
# and the kernel's page faults on yescrypt's working memory). perf records
# the whole machine and the PID is picked out after: `perf record -p` took
# no samples from the threads rsockd starts once it is attached. Sets
# R[rsockd5-auth|profile|crypt_pct].
profile_auth() {
  local server=rsockd5-auth data=$WORK/perf.data perf_pid i
  command -v perf >/dev/null || { log "no perf(1): no libcrypt share"; return 0; }
  log "$server: one more connection-rate run under perf record"
  # cpu-clock, a software event, works where no hardware counters are.
  perf record -a -g -e cpu-clock -F 999 -o "$data" -- sleep "$DURATION" \
    </dev/null >/dev/null 2>>"$WORK/perf.log" &
  perf_pid=$!
  STARTED+=("$perf_pid")
  load "$server" profile --mode=connrate --threads=8 --duration="$DURATION"
  for ((i = 0; i < 300; i++)); do  # perf writes its file after the sleep
    [[ -d /proc/$perf_pid ]] || break
    sleep 0.1
  done
  stop_tree "$perf_pid"
  [[ -s $data ]] || { log "perf record failed; see $WORK/perf.log"; return 0; }
  # One paragraph per sample: a header line, then its frames.
  R["$server|profile|crypt_pct"]=$(perf script -i "$data" --pid "${PID_OF[$server]}" \
    -F comm,tid,ip,dso 2>>"$WORK/perf.log" | awk -v RS= '
      { n++; if (/libcrypt/) c++ }
      END { if (n) printf "%.1f", 100 * c / n }')
  rm -f "$data"
}

# One held-session measurement on a fresh server (so that heap kept from
# earlier runs cannot hide the per-session cost). socks_load reads its
# go-ahead from a FIFO and writes to a file, which the script polls.
run_hold() {
  local server=$1 sessions=$2 idle idle_kstack held held_kstack ready="" i
  start_server "$server" || return 0
  local pid=${PID_OF[$server]}
  idle=$(pss_tree_kib "$pid")
  idle_kstack=$(kernel_stack_kib)
  local fifo=$WORK/hold.in out=$WORK/hold.out
  rm -f "$fifo" "$out"
  mkfifo "$fifo"
  set_target_args "$server"
  "$LOAD" "${TARGET_ARGS[@]}" --mode=hold --sessions="$sessions" --hold_for=300s \
    <"$fifo" >"$out" 2>>"$WORK/load.log" &
  local hold_pid=$! go_fd
  STARTED+=("$hold_pid")
  exec {go_fd}>"$fifo"  # unblocks the child's open of the FIFO
  for ((i = 0; i < 3000; i++)); do  # at most 300 s to open the sessions
    grep -q '^READY' "$out" 2>/dev/null && break
    [[ -d /proc/$hold_pid ]] || break
    sleep 0.1
  done
  ready=$(sed -n 's/^READY //p' "$out")
  if [[ -n $ready ]]; then
    sleep "$HOLD_SETTLE"
    held=$(pss_tree_kib "$pid")
    held_kstack=$(kernel_stack_kib)
    local pids
    pids=$(process_tree "$pid")
    R["$server|hold$sessions|procs"]=$(wc -w <<<"$pids")
    R["$server|hold$sessions|threads"]=$(for i in $pids; do
      ls /proc/"$i"/task 2>/dev/null; done | wc -l)
  else
    log "$server hold $sessions: no READY line; last of load.log:"
    tail -5 "$WORK/load.log" >&2
  fi
  echo >&"$go_fd"
  exec {go_fd}>&-
  for ((i = 0; i < 3000; i++)); do  # the final check: at most 300 s
    [[ -d /proc/$hold_pid ]] || break
    sleep 0.1
  done
  stop_tree "$hold_pid"
  record "$server" "hold$sessions" <"$out"
  if [[ -n $ready && $ready -gt 0 ]]; then
    R["$server|hold$sessions|idle_kib"]=$idle
    R["$server|hold$sessions|held_kib"]=$held
    R["$server|hold$sessions|kib_per_session"]=$(awk -v a="$held" -v b="$idle" \
      -v n="$ready" 'BEGIN { printf "%.1f", (a - b) / n }')
    R["$server|hold$sessions|kstack_kib_per_session"]=$(awk -v a="$held_kstack" \
      -v b="$idle_kstack" -v n="$ready" 'BEGIN { printf "%.1f", (a - b) / n }')
    log "  $server hold$sessions: PSS idle ${idle} KiB, held ${held} KiB," \
      "${R[$server|hold$sessions|kib_per_session]} KiB/session;" \
      "kernel stacks ${R[$server|hold$sessions|kstack_kib_per_session]} KiB/session;" \
      "${R[$server|hold$sessions|procs]} processes, ${R[$server|hold$sessions|threads]} threads"
  fi
  stop_tree "$pid"
}

# --- run --------------------------------------------------------------------

START_TIME=$SECONDS
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "scratch directory $WORK; socks_load $LOAD"
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN { exit !(l > 1.0) }'; then
  log "WARNING: load average $LOAD_BEFORE before starting: other work on" \
    "this machine will skew the figures (ratios suffer less: tests interleave)"
fi

MEASURED=()
for server in $SERVERS; do
  available "$server" || continue
  start_server "$server" || continue
  MEASURED+=("$server")
  PID_OF[$server]=$SERVER_PID
  PORT_OF[$server]=$SERVER_PORT
  PROTO_OF[$server]=$PROTOCOL
  log "$server: pid $SERVER_PID, 127.0.0.1:$SERVER_PORT ($PROTOCOL)"
done

for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round of $ROUNDS: connection rate and throughput"
  run_round "$round"
done
for threads in $CONN_THREADS; do pick_median "conn$threads" conn_per_s; done
pick_median tp1 mib_per_s
pick_median "tp$TP_STREAMS" mib_per_s
[[ " ${MEASURED[*]} " == *" rsockd5-auth "* ]] && profile_auth
for server in "${MEASURED[@]}"; do
  stop_tree "${PID_OF[$server]}"
  [[ -n ${BACK_OF[$server]:-} ]] && stop_tree "${BACK_OF[$server]}"
done

for server in "${MEASURED[@]}"; do
  rate_only "$server" || is_chain "$server" && continue
  for sessions in $HOLD_SESSIONS; do
    log "$server: holding $sessions sessions (fresh server)"
    run_hold "$server" "$sessions"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -----------------------------------------------------------------

get() { echo "${R[$1|$2|$3]:-n/a}"; }
ratio() {  # $1 / $2 in printf format $3 (default %.2f), or n/a
  awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {
    if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf f, a / b }'
}
meets() {  # "$value" "$op" "$target"
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "n/a") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0)
    print ok ? "MET" : "MISSED" }'
}

echo
echo "== rsockd benchmark ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)," \
  "median of $ROUNDS rounds, $DURATION per connrate run," \
  "load average $LOAD_BEFORE before, $LOAD_AFTER after) =="
printf '%-13s %-9s' server proto
for threads in $CONN_THREADS; do printf ' %9s' "c/s@$threads"; done
printf ' %13s %9s %9s' "p50/p99us@8" "MiB/s x1" "MiB/s x$TP_STREAMS"
for sessions in $HOLD_SESSIONS; do printf ' %10s' "KiB/s@$sessions"; done
printf ' %5s %6s\n' lost errors
for server in direct "${MEASURED[@]}"; do
  proto=${PROTO_OF[$server]:-none}
  [[ -n ${AUTH_OF[$server]:-} ]] && proto=$proto+pw
  printf '%-13s %-9s' "$server" "$proto"
  errors=0
  for threads in $CONN_THREADS; do
    printf ' %9s' "$(get "$server" "conn$threads" conn_per_s)"
    errors=$((errors + ${R[$server|conn$threads|errors]:-0}))
  done
  printf ' %13s %9s %9s' \
    "$(get "$server" conn8 p50_us)/$(get "$server" conn8 p99_us)" \
    "$(get "$server" tp1 mib_per_s)" "$(get "$server" "tp$TP_STREAMS" mib_per_s)"
  lost=0
  for sessions in $HOLD_SESSIONS; do
    if [[ $server == direct ]]; then printf ' %10s' -; continue; fi
    printf ' %10s' "$(get "$server" "hold$sessions" kib_per_session)"
    lost=$((lost + ${R[$server|hold$sessions|lost]:-0} + ${R[$server|hold$sessions|open_errors]:-0}))
  done
  for test in tp1 "tp$TP_STREAMS"; do
    errors=$((errors + ${R[$server|$test|errors]:-0}))
  done
  [[ $server == direct || -z $HOLD_SESSIONS ]] && lost=-
  printf ' %5s %6s\n' "$lost" "$errors"
done
echo "(c/s = connections/s; KiB/s@N = PSS KiB per held session with N held;"
echo " lost = held sessions that failed to open or to echo after the hold;"
echo " socks5+pw = RFC 1929 username/password against a yescrypt hash)"
echo
echo "Held-session detail (PSS of the whole process tree; kernel stacks are"
echo "outside PSS and machine-wide, so noisy, but show a thread's real cost):"
for server in "${MEASURED[@]}"; do
  rate_only "$server" || is_chain "$server" && continue
  for sessions in $HOLD_SESSIONS; do
    echo "  $server $sessions: idle $(get "$server" "hold$sessions" idle_kib) KiB," \
      "held $(get "$server" "hold$sessions" held_kib) KiB," \
      "$(get "$server" "hold$sessions" kib_per_session) KiB/session," \
      "kernel stacks $(get "$server" "hold$sessions" kstack_kib_per_session) KiB/session," \
      "$(get "$server" "hold$sessions" procs) processes," \
      "$(get "$server" "hold$sessions" threads) threads," \
      "opened $(get "$server" "hold$sessions" opened), lost $(get "$server" "hold$sessions" lost)"
  done
done

echo
# Prints server $1's worst KiB per held session and its lost sessions,
# against their targets.
hold_targets() {
  local server=$1 worst=n/a lost=n/a sessions v
  if [[ -n $HOLD_SESSIONS && " ${MEASURED[*]} " == *" $server "* ]]; then
    lost=0
    for sessions in $HOLD_SESSIONS; do
      v=$(get "$server" "hold$sessions" kib_per_session)
      if [[ $v == n/a ]]; then worst=n/a; lost=n/a; break; fi
      worst=$(awk -v a="$worst" -v b="$v" 'BEGIN { print (a == "n/a" || b + 0 > a + 0) ? b : a }')
      lost=$((lost + ${R[$server|hold$sessions|lost]:-0} + ${R[$server|hold$sessions|open_errors]:-0}))
    done
  fi
  printf '%-46s %8s  target <= 32   %s\n' "$server KiB per held session (worst):" "$worst" "$(meets "$worst" "<=" 32)"
  printf '%-46s %8s  target 0       %s\n' "$server held sessions lost:" "$lost" "$(meets "$lost" "<=" 0)"
}

echo "== ratios and targets =="
echo "-- SOCKS4 (rsockd and Dante; microsocks speaks only SOCKS5) --"
rs8=$(get rsockd conn8 conn_per_s)
r1=$(ratio "$rs8" "$(get microsocks conn8 conn_per_s)")
r2=$(ratio "$rs8" "$(get dante conn8 conn_per_s)")
r3=$(ratio "$(get rsockd tp1 mib_per_s)" "$(get dante tp1 mib_per_s)")
printf '%-46s %8s  target >= 1.5  %s\n' "conn/s @8 threads rsockd/microsocks:" "$r1" "$(meets "$r1" ">=" 1.5)"
printf '%-46s %8s  target >= 3    %s\n' "conn/s @8 threads rsockd/Dante:" "$r2" "$(meets "$r2" ">=" 3)"
printf '%-46s %8s  target >= 1.5  %s\n' "single-stream MiB/s rsockd/Dante:" "$r3" "$(meets "$r3" ">=" 1.5)"
r4=$(ratio "$(get rsockd-1k conn8 conn_per_s)" "$rs8")
printf '%-46s %8s  target >= 0.9  %s\n' "conn/s @8 1,000-line/1-line sockd.conf:" "$r4" "$(meets "$r4" ">=" 0.9)"
r5=$(ratio "$(get rsockd-chain conn8 conn_per_s)" "$(get dante-chain conn8 conn_per_s)")
printf '%-46s %8s  target >= 2    %s\n' "conn/s @8 two-hop chain rsockd/Dante:" "$r5" "$(meets "$r5" ">=" 2)"
r6=$(ratio "$(get rsockd-chain tp1 mib_per_s)" "$(get dante-chain tp1 mib_per_s)")
printf '%-46s %8s\n' "single-stream MiB/s two-hop chain rsockd/Dante:" "$r6"
r7=$(ratio "$(get rsockd-route conn8 conn_per_s)" "$rs8")
route_errors=0
for threads in $CONN_THREADS; do
  route_errors=$((route_errors + ${R[rsockd-route|conn$threads|errors]:-0}))
done
printf '%-46s %8s  (errors: %s; no free-port exhaustion)\n' \
  "conn/s @8 with sockd.route/without:" "$r7" "$route_errors"
hold_targets rsockd

echo "-- SOCKS5, no authentication (rsockd5, dante5, microsocks) --"
s8=$(get rsockd5 conn8 conn_per_s)
r8=$(ratio "$s8" "$(get microsocks conn8 conn_per_s)")
r9=$(ratio "$s8" "$(get dante5 conn8 conn_per_s)")
r10=$(ratio "$(get rsockd5 conn1 conn_per_s)" "$(get microsocks conn1 conn_per_s)")
printf '%-46s %8s  target >= 1.25 %s\n' "conn/s @8 threads rsockd5/microsocks:" "$r8" "$(meets "$r8" ">=" 1.25)"
printf '%-46s %8s  target >= 2    %s\n' "conn/s @8 threads rsockd5/dante5:" "$r9" "$(meets "$r9" ">=" 2)"
printf '%-46s %8s  target >= 1.2  %s\n' "conn/s @1 thread rsockd5/microsocks:" "$r10" "$(meets "$r10" ">=" 1.2)"
hold_targets rsockd5

echo "-- SOCKS5 username/password, yescrypt (rsockd5-auth) --"
for threads in $CONN_THREADS; do
  printf '%-46s %8s  (%s of rsockd5, no authentication)\n' \
    "conn/s @$threads rsockd5-auth:" "$(get rsockd5-auth "conn$threads" conn_per_s)" \
    "$(ratio "$(get rsockd5-auth "conn$threads" conn_per_s)" "$(get rsockd5 "conn$threads" conn_per_s)" "%.4f")"
done
printf '%-46s %8s  (perf, %s c/s meanwhile)\n' "rsockd5-auth CPU share in crypt_r, %:" \
  "$(get rsockd5-auth profile crypt_pct)" "$(get rsockd5-auth profile conn_per_s)"
echo
log "done in $((SECONDS - START_TIME)) s; raw RESULT lines: $WORK/results.txt"
[[ -n ${KEEP_WORKDIR:-} ]] || log "(set KEEP_WORKDIR=1 to keep them and the logs)"
