#!/usr/bin/env bash
# Build the image from ./Dockerfile and run it without a Docker daemon (podman), then check from
# inside the running container, with its network cut off (--network none: loopback only), that
# the page, the API and the bundled Plotly.js answer, that it runs as a non-root user, that its
# HEALTHCHECK passes, that it starts one worker process per CPU, that each worker's BLAS runs one
# thread per computing thread, that a network survives a restart of the container (volume /data),
# and that `podman stop` (SIGTERM) during a streamed training exits within 2 s without SIGKILL
# and keeps every epoch the stream reported. Prints the image size and the check's figures.
#
#   bash scripts/container-check.sh            (as root, on Debian; about 2 minutes the first time)
#
# Where the official python:3.11-slim cannot be pulled, a stand-in with the same name is built once
# with debootstrap (Debian bookworm + python3); the Dockerfile itself stays standard.
# Not part of the test suite: it is slow and needs podman. Environment:
#   CHECK_DIR  work folder for containers.conf and the stand-in's rootfs (default /tmp/backprop-container-check)
#   IMAGE      image name (default localhost/backprop-lab)
#   DEBIAN_MIRROR  for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK_DIR="${CHECK_DIR:-/tmp/backprop-container-check}"
IMAGE="${IMAGE:-localhost/backprop-lab}"
BASE="docker.io/library/python:3.11-slim"
NAME="backprop-lab-check-$$"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$CHECK_DIR"

say() { printf '\n== %s\n' "$*"; }
# podman logs an error when it cannot reach systemd to schedule health checks; harmless here.
pod() { podman "$@" 2> >(grep -v "unable to get systemd connection" >&2); }

# 1. Tools.
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
    say "installing podman, runc, debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi

# 2. containers.conf: runc (crun fails on cgroups here), ulimits the container may set without
#    CAP_SYS_RESOURCE, and the host's CA bundle (outbound HTTPS is re-signed by a proxy).
cat >"$CHECK_DIR/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
volumes = ["/etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro"]

[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$CHECK_DIR/containers.conf"
podman --version

# 3. The base image, once.
if podman image exists "$BASE"; then
    say "base image $BASE present"
else
    say "building a stand-in for $BASE with debootstrap (once)"
    rootfs="$CHECK_DIR/rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=python3,python3-pip,python3-venv bookworm "$rootfs" "$DEBIAN_MIRROR" \
        >"$CHECK_DIR/debootstrap.log" 2>&1 || { tail -20 "$CHECK_DIR/debootstrap.log"; exit 1; }
    rm -f "$rootfs"/usr/lib/python3.11/EXTERNALLY-MANAGED
    ln -sf python3 "$rootfs/usr/bin/python"
    ln -sf pip3 "$rootfs/usr/bin/pip"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | podman import - localhost/py311 >/dev/null
    podman tag localhost/py311 "$BASE"
    rm -rf "$rootfs"
fi

# 4. Build (docker format keeps the HEALTHCHECK, which the OCI format drops).
say "podman build"
start=$(date +%s)
podman build --format docker --pull=never --network host -t "$IMAGE" . >"$CHECK_DIR/build.log" 2>&1 \
    || { tail -40 "$CHECK_DIR/build.log"; exit 1; }
echo "built $IMAGE in $(( $(date +%s) - start )) s (log: $CHECK_DIR/build.log)"

# 5. Run it with the network cut off: no interface but loopback.
cleanup() { podman rm -f "$NAME" "$NAME-control" >/dev/null 2>&1 || true; podman volume rm -f "$NAME-data" >/dev/null 2>&1 || true; }
trap cleanup EXIT
say "podman run --network none"
podman volume create "$NAME-data" >/dev/null
# --health-interval disable: no systemd timer here; the check is run by hand below.
pod run -d --name "$NAME" --network none --health-interval disable -v "$NAME-data:/data" "$IMAGE" >/dev/null
echo "command: $(podman inspect "$NAME" --format '{{.Config.Cmd}}')"
echo "network mode: $(podman inspect "$NAME" --format '{{.HostConfig.NetworkMode}}')"
echo "interfaces inside: $(podman exec "$NAME" sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' '")"
echo "user inside: uid=$(podman exec "$NAME" id -u) ($(podman exec "$NAME" id -un))"

# Every query runs inside the container (python's urllib against 127.0.0.1:8000).
probe() {
    podman exec -i "${TARGET:-$NAME}" python - "$@" <<'PY'
import json, os, re, sys, time, urllib.request

base = "http://127.0.0.1:8000"


def get(path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers.get("content-type", ""), r.read()


cmd = sys.argv[1]
if cmd == "wait":
    start = time.monotonic()
    deadline = start + 60
    while True:
        try:
            get("/api/v1/meta")
            print(f"server up (answered {time.monotonic() - start:.1f} s after this probe started)")
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("server did not answer within 60 s")
            time.sleep(0.5)
elif cmd == "pages":
    # The page, the API, everything the page refers to under /static (its scripts, styles and the
    # Plotly.js bundle it loads), and the full plotly.min.js served from the plotly package.
    status, ctype, html = get("/")
    print(f"GET {'/':40s} {status} {ctype:34s} {len(html):>9,d} bytes")
    assert status == 200 and b"<html" in html.lower(), "not a page"
    assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html.decode())))
    for path in ("/api/v1/meta", "/api/v1/lessons", *assets, "/static/vendor/plotly.min.js", "/docs",
                 "/openapi.json", "/static/vendor/swagger-ui/swagger-ui-bundle.js"):
        status, ctype, body = get(path)
        print(f"GET {path:40s} {status} {ctype:34s} {len(body):>9,d} bytes")
        assert status == 200 and body, path
        if "plotly" in path:
            assert b"plotly" in body[:5000].lower(), f"{path} is not Plotly.js"
elif cmd == "create":
    body = {"sizes": [2, 4, 2], "activation": "tanh", "output": "softmax", "loss": "cross_entropy",
            "init": "xavier_uniform", "seed": 7,
            "dataset": {"name": "xor", "seed": 0, "n": 100, "noise": 0.1, "test_fraction": 0.25, "standardize": False}}
    _, _, r = get("/api/v1/networks", body)
    net = json.loads(r)
    get(f"/api/v1/networks/{net['id']}/train", {"epochs": 3, "batch_size": 10, "optimizer": {"name": "sgd", "eta": 0.5}})
    _, _, r = get(f"/api/v1/networks/{net['id']}")
    print(json.dumps({"id": net["id"], "W": json.loads(r)["W"], "step": json.loads(r)["step"]}))
elif cmd == "read":
    _, _, r = get(f"/api/v1/networks/{sys.argv[2]}")
    net = json.loads(r)
    print(json.dumps({"id": net["id"], "W": net["W"], "step": net["step"]}))
elif cmd == "workers":
    # The server's processes: PID 1 (the supervisor) and the workers it started.
    def parent(pid):
        return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    children = {p: open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode()
                for p in pids if p != os.getpid() and parent(p) == 1}
    # uvicorn's workers are spawned processes; multiprocessing's resource tracker is not one
    workers = sorted(p for p, argv in children.items() if "spawn_main" in argv)
    print(json.dumps({"cpus": os.cpu_count(), "workers": workers, "children": children}))
elif cmd == "stream":
    # A streamed training, each epoch's number printed as it arrives (until the server goes away).
    body = {"sizes": [64, 256, 256, 10], "activation": "tanh", "output": "softmax", "loss": "cross_entropy",
            "seed": 3, "dataset": {"name": "digits", "seed": 0}}
    _, _, r = get("/api/v1/networks", body)
    net = json.loads(r)
    print(json.dumps({"id": net["id"]}), flush=True)
    req = urllib.request.Request(f"{base}/api/v1/networks/{net['id']}/train/stream",
                                 data=json.dumps({"epochs": 1000, "batch_size": 256}).encode(),
                                 headers={"Content-Type": "application/json"})
    kind = None
    try:
        with urllib.request.urlopen(req, timeout=60) as stream:
            for line in stream:
                line = line.decode().strip()
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind in ("epoch", "done"):
                    data = json.loads(line[6:])
                    print(json.dumps({"event": kind, "epoch": data["epoch"],
                                      "stop_reason": data.get("stop_reason")}), flush=True)
    except OSError:
        pass
elif cmd == "threads":
    # While the stream above trains: in how many of 80 samples 25 ms apart two threads of the
    # workers each ran for over 40% of the interval (schedstat: nanoseconds on a CPU). One BLAS
    # thread per computing thread: (almost) none; OpenBLAS left to itself: (almost) all.
    def on_cpu():
        times = {}
        for pid in sys.argv[2:]:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    times[pid, tid] = int(open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[0])
                except OSError:
                    pass
        return times
    first = before = on_cpu()
    started = time.perf_counter()
    parallel, cpu_ns, samples = 0, 0, 80
    for _ in range(samples):
        time.sleep(0.025)
        now, at = on_cpu(), time.perf_counter()
        ran = sorted((ns - before.get(key, 0) for key, ns in now.items()), reverse=True)
        cpu_ns += sum(ran)
        parallel += len(ran) > 1 and ran[1] > 0.4 * (at - started) * 1e9
        before, started = now, at
    # each thread's share over the whole window too: OpenBLAS splitting a product gives two about equal
    busiest = sorted((round((ns - first.get(key, 0)) / 1e9, 2) for key, ns in before.items()), reverse=True)[:3]
    print(json.dumps({"parallel": parallel, "samples": samples, "cpu_seconds": round(cpu_ns / 1e9, 2),
                      "seconds": round(samples * 0.025, 1), "busiest_threads_cpu_seconds": busiest}))
elif cmd == "blas":
    # The image's settings applied as a worker applies them: BLAS limited to blas_threads.
    import numpy  # loads OpenBLAS, which starts its own threads (one per CPU)
    from threadpoolctl import threadpool_info
    from app import offload
    from app.settings import Settings
    settings = Settings()
    loaded = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    offload.configure(settings.compute_threads, settings.blas_threads)
    limited = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    print(json.dumps({"blas_threads": settings.blas_threads, "as loaded": loaded, "as a worker sets them": limited}))
    sys.exit(0 if limited and all(n == settings.blas_threads for _, n in limited) else 1)
PY
}

probe wait
say "queries from inside the container"
probe pages
say "HEALTHCHECK"
podman healthcheck run "$NAME" && echo "healthy"

say "workers: one per CPU (the image sets no BACKPROP_WORKERS)"
workers_json=$(probe workers)
echo "$workers_json"
worker_pids=$(python3 -c 'import json, sys; w = json.loads(sys.argv[1]); print(" ".join(map(str, w["workers"])))' "$workers_json")
python3 -c 'import json, sys; w = json.loads(sys.argv[1]); sys.exit(0 if len(w["workers"]) == w["cpus"] else 1)' "$workers_json" \
    || { echo "expected one worker process per CPU" >&2; exit 1; }

say "control for the BLAS measure below: a container with BACKPROP_BLAS_THREADS=0 (OpenBLAS left as loaded)"
pod run -d --name "$NAME-control" --network none --health-interval disable -e BACKPROP_BLAS_THREADS=0 \
    -e BACKPROP_WORKERS=1 -e BACKPROP_PERSIST=0 "$IMAGE" >/dev/null
TARGET="$NAME-control" probe wait
control_workers=$(TARGET="$NAME-control" probe workers | python3 -c 'import json, sys; print(" ".join(map(str, json.load(sys.stdin)["workers"] or [1])))')
TARGET="$NAME-control" probe stream >"$CHECK_DIR/stream-control.log" &
control_pid=$!
for _ in $(seq 1 120); do [ "$(grep -c '"event": "epoch"' "$CHECK_DIR/stream-control.log" || true)" -ge 3 ] && break; sleep 0.25; done
# shellcheck disable=SC2086
echo "control, samples with two threads computing at once: $(TARGET="$NAME-control" probe threads $control_workers)"
podman rm -f "$NAME-control" >/dev/null
wait "$control_pid" || true

say "BLAS threads during a streamed training (digits, [64,256,256,10], batch 256)"
probe blas
stream_log="$CHECK_DIR/stream.log"
probe stream >"$stream_log" &
stream_pid=$!
for _ in $(seq 1 120); do [ "$(grep -c '"event": "epoch"' "$stream_log" || true)" -ge 3 ] && break; sleep 0.25; done
[ "$(grep -c '"event": "epoch"' "$stream_log" || true)" -ge 3 ] || { cat "$stream_log"; echo "the stream did not start" >&2; exit 1; }
# shellcheck disable=SC2086
threads_json=$(probe threads $worker_pids)
echo "samples with two threads computing at once: $threads_json"
python3 - "$threads_json" <<'CHECK'
import json, sys
r = json.loads(sys.argv[1])
ok = r["cpu_seconds"] > 0.3 and r["parallel"] <= r["samples"] // 5
print("one BLAS thread per computing thread" if ok else "BLAS threads compute in parallel (or nothing ran)")
sys.exit(0 if ok else 1)
CHECK

say "podman stop (SIGTERM) during the streamed training"
sleep 1
seen=$(grep '"event": "epoch"' "$stream_log" | tail -1 | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["epoch"])')
stream_id=$(head -1 "$stream_log" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["id"])')
stop_start=$(date +%s.%N)
pod stop --time 10 "$NAME" >/dev/null
stop_took=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$stop_start" "$(date +%s.%N)")
wait "$stream_pid" || true
exit_code=$(podman inspect "$NAME" --format '{{.State.ExitCode}}')
last=$(grep '"event"' "$stream_log" | tail -1)
echo "podman stop took $stop_took s; exit code $exit_code (137 would be SIGKILL); the stream saw epoch $seen before the stop, its last event: $last"
pod start "$NAME" >/dev/null
probe wait
kept=$(probe read "$stream_id" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["step"])')
kept_epoch=$(podman exec -i "$NAME" python -c "import json, urllib.request; print(json.load(urllib.request.urlopen('http://127.0.0.1:8000/api/v1/networks/$stream_id'))['epoch'])")
echo "after the restart: network $stream_id at epoch $kept_epoch (step $kept)"
python3 - "$stop_took" "$exit_code" "$seen" "$kept_epoch" "$last" <<'CHECK'
import json, sys
took, code, seen, kept = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
last = json.loads(sys.argv[5])
problems = []
if took >= 2.0:
    problems.append(f"the stop took {took:.2f} s (limit 2 s)")
if code == 137:
    problems.append("the container was killed (SIGKILL)")
if kept < seen:
    problems.append(f"epochs lost: the stream saw epoch {seen}, the store kept {kept}")
if last["event"] == "done" and (last["stop_reason"] != "shutdown" or last["epoch"] != kept):
    problems.append(f"the stream's done event {last} does not match the kept epoch {kept}")
print("; ".join(problems) or "SIGTERM: stopped, saved and exited in time")
sys.exit(1 if problems else 0)
CHECK

say "persistence across a container restart (volume /data)"
before=$(probe create)
id=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$before")
pod restart "$NAME" >/dev/null
probe wait
after=$(probe read "$id")
if [ "$before" = "$after" ]; then
    echo "network $id: identical parameters after restart (step $(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["step"])' "$after"))"
else
    echo "network $id differs after restart" >&2
    exit 1
fi

say "image size"
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "backprop-lab|python" || true
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
base_size=$(podman image inspect "$BASE" --format '{{.Size}}')
echo "image $IMAGE: $(( size / 1000000 )) MB ($(( (size - base_size) / 1000000 )) MB above the base image)"
if [ "$size" -ge 350000000 ]; then
    echo "image is over 350 MB" >&2
    exit 1
fi
say "offline rebuild after a code change (podman build --network none)"
offline="$CHECK_DIR/offline-context"
rm -rf "$offline"
mkdir -p "$offline"
# The same context with its timestamps (podman's COPY cache looks at them), then two edits.
tar -c --exclude=./.venv --exclude=./.git --exclude=./test-results . | tar -x -C "$offline"
marker="offline rebuild check $(date +%s)"
printf '\n# %s\n' "$marker" >>"$offline/app/__init__.py"
printf '\n# %s\n' "$marker" >>"$offline/pyproject.toml"
start=$(date +%s)
if ! (cd "$offline" && podman build --format docker --pull=never --network none -t "$IMAGE-offline" .) \
    >"$CHECK_DIR/build-offline.log" 2>&1; then
    tail -30 "$CHECK_DIR/build-offline.log"
    echo "the offline rebuild failed (log: $CHECK_DIR/build-offline.log)" >&2
    exit 1
fi
echo "rebuilt with no network in $(( $(date +%s) - start )) s; layers from cache: $(grep -c 'Using cache' "$CHECK_DIR/build-offline.log")"
podman run --rm --network none "$IMAGE-offline" python -c "import app, sys; sys.exit(0 if '$marker' in open(app.__file__).read() else 1)" \
    && echo "the rebuilt image has the changed code"
podman rmi "$IMAGE-offline" >/dev/null
rm -rf "$offline"
say "container check passed"
