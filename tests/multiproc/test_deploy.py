"""deploy/ read as an operator would, and checked where it can be without a container engine:
compose.yaml and the Kubernetes YAML parse and agree with the app (image name, port, settings that
exist, probes on real routes, Redis where the app looks for it); deploy/nginx.conf itself runs in
Debian's nginx in front of real app processes: the page, the API and a training stream pass
(each epoch as it ends: no buffering), and each student keeps an own creation limit."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.main import create_app
from app.settings import Settings
from tests.multiproc.conftest import StartServer
from tests.multiproc.sse import StreamReader
from tests.servers import Nginx

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IMAGE = "backprop-lab"  # the name the Dockerfile's header and the README build
# Read by uvicorn itself (proxy headers), not by app.settings.
UVICORN_VARIABLES = {"FORWARDED_ALLOW_IPS"}
SETTINGS = Settings()


def _check_variables(env: dict[str, str]) -> None:
    """Every variable is one the server reads, and its value is one it accepts."""
    for name in env:
        assert name.startswith("BACKPROP_") or name in UVICORN_VARIABLES, name
        if name.startswith("BACKPROP_"):
            field = name.removeprefix("BACKPROP_").lower()
            assert field in Settings.model_fields or field in ("host", "port", "workers"), f"{name} is no setting"
    settings = {k.removeprefix("BACKPROP_").lower(): v for k, v in env.items() if k.startswith("BACKPROP_")}
    Settings(**{k: v for k, v in settings.items() if k in Settings.model_fields})  # values it accepts
    assert int(env["BACKPROP_PORT"]) > 0 and int(env.get("BACKPROP_WORKERS", "1")) >= 1


def _routes_answer(paths: list[str]) -> None:
    with TestClient(create_app(Settings(persist=False))) as client:
        for path in paths:
            assert client.get(path).status_code == 200, path


def test_compose_file_agrees_with_the_app() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "app", "nginx"}
    app, redis, nginx = services["app"], services["redis"], services["nginx"]
    assert app["image"] == IMAGE and (DEPLOY / app["build"] / "Dockerfile").is_file()
    assert app["deploy"]["replicas"] == 3
    env = {k: str(v) for k, v in app["environment"].items()}
    _check_variables(env)
    assert env["BACKPROP_STORE"] == "redis://redis:6379/0" and env["BACKPROP_HOST"] == "0.0.0.0"
    assert "ports" not in app, "the replicas are reached through nginx only (FORWARDED_ALLOW_IPS trusts all)"
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    assert float(app["stop_grace_period"].removesuffix("s")) > 2.0  # a stop takes under 2 s
    assert redis["image"].startswith("redis:") and nginx["image"].startswith("nginx:")  # official images
    assert redis["command"][0] == "redis-server" and "--appendonly" in redis["command"]
    assert any(v.endswith(":/data") for v in redis["volumes"]) and "redis-data" in compose["volumes"]
    (conf,) = [v for v in nginx["volumes"] if "nginx.conf" in v]
    assert (DEPLOY / conf.split(":")[0]).is_file() and nginx["ports"] == ["8080:80"]
    site = (DEPLOY / "nginx.conf").read_text()
    assert f"server app:{env['BACKPROP_PORT']}" in site and "listen 80;" in site


def test_kubernetes_yaml_agrees_with_the_app() -> None:
    documents = [d for f in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text())]
    by_kind: dict[tuple[str, str], dict[str, Any]] = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    assert set(by_kind) == {
        ("Deployment", "backprop-lab"), ("Service", "backprop-lab"),
        ("Deployment", "backprop-redis"), ("Service", "backprop-redis"),
    }  # fmt: skip
    for name in ("backprop-lab", "backprop-redis"):
        deployment, service = by_kind["Deployment", name], by_kind["Service", name]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert service["spec"]["selector"].items() <= labels.items()
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = [p["containerPort"] for p in container["ports"]]
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ports
    app = by_kind["Deployment", "backprop-lab"]
    (container,) = app["spec"]["template"]["spec"]["containers"]
    assert container["image"].split("/")[-1].split(":")[0] == IMAGE
    env = {e["name"]: e["value"] for e in container["env"]}
    _check_variables(env)
    assert container["ports"] == [{"containerPort": int(env["BACKPROP_PORT"])}]
    redis_port = by_kind["Service", "backprop-redis"]["spec"]["ports"][0]["port"]
    assert env["BACKPROP_STORE"] == f"redis://backprop-redis:{redis_port}/0"
    assert "BACKPROP_WORKERS" in env, "in a pod the CPU count is the node's: say how many workers"
    probes = [container[p]["httpGet"] for p in ("readinessProbe", "livenessProbe")]
    assert all(p["port"] == int(env["BACKPROP_PORT"]) for p in probes)
    _routes_answer([p["path"] for p in probes])
    assert app["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 2


def _site_for_test() -> str:
    """deploy/nginx.conf with the compose service name and port 80 replaced by the test's."""
    site = (DEPLOY / "nginx.conf").read_text()
    (upstream,) = [line for line in site.splitlines() if line.strip().startswith("server app:")]
    return site.replace(upstream, "{servers}").replace("listen 80;", "listen {listen};")


def test_nginx_conf_balances_streams_and_keeps_each_students_address(start_server: StartServer, tmp_path: Path) -> None:
    app = start_server(workers=1, persist="0", max_creations_per_client="2")
    (tmp_path / "nginx").mkdir()
    balancer = Nginx(tmp_path / "nginx", [app.port], site=_site_for_test())
    root = balancer.url.removesuffix("/api/v1")
    try:
        assert httpx.get(root + "/", timeout=30).status_code == 200
        assert httpx.get(root + "/static/vendor/plotly.min.js", timeout=30).status_code == 200

        # each student (a different address) has an own creation limit behind nginx
        def create(address: str, headers: dict[str, str] | None = None) -> int:
            with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30) as client:
                body = {"sizes": [2, 4, 2], "dataset": {"name": "moons", "n": 60}}
                return client.post(balancer.url + "/networks", json=body, headers=headers).status_code

        assert [create("127.0.0.2") for _ in range(3)] == [201, 201, 429]
        assert create("127.0.0.3") == 201  # without X-Forwarded-For: 429, everyone is nginx
        assert create("127.0.0.2", {"X-Forwarded-For": "127.0.0.7"}) == 429  # nginx replaces what a client sends

        # a paced stream: its first epoch arrives through nginx long before the training ends
        created = httpx.post(balancer.url + "/networks", json={"sizes": [2, 4, 2], "dataset": {"name": "moons"}},
                             timeout=30).json()  # fmt: skip
        started = time.monotonic()
        stream = StreamReader(f"{balancer.url}/networks/{created['id']}/train/stream", {"epochs": 12, "pace_ms": 250})
        kind, first = stream.next("epoch")
        assert kind == "epoch" and first["epoch"] == 1
        assert time.monotonic() - started < 2.0  # all 12 epochs take at least 12 x 0.25 s = 3 s
        kind, done = stream.next("done")
        assert kind == "done" and done["epoch"] == 12
    finally:
        balancer.stop()


@pytest.mark.parametrize("name", ["compose.yaml", "nginx.conf", "k8s/app.yaml", "k8s/redis.yaml"])
def test_readme_names_every_deploy_file(name: str) -> None:
    section = (ROOT / "README.md").read_text().split("## More than one machine", 1)[1].split("\n## ", 1)[0]
    assert f"deploy/{name}" in section or (name.startswith("k8s/") and "deploy/k8s/" in section)
