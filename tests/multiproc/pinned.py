"""HTTP connections pinned to one worker process of `backprop-lab serve --workers N`.

The kernel hands each new connection to whichever worker accepts it first. To send a request to
a chosen worker, connections are opened until one lands on it (found from /proc: the worker that
holds the server side of the connection's socket) and then kept alive; every answer records which
worker gave it, so a test can show that requests for one network really went to different workers.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

JSON_TYPE = {"Content-Type": "application/json"}
MAX_TRIES = 200  # connections opened to reach one worker before giving up


def worker_pids(server_pid: int) -> list[int]:
    """The worker processes (multiprocessing spawn children) of a uvicorn supervisor."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server_pid and b"spawn_main" in argv:
            found.append(int(entry.name))
    return sorted(found)


def _server_side_inode(server_port: int, client_port: int) -> int | None:
    """The socket inode of the accepted end of 127.0.0.1:client_port -> 127.0.0.1:server_port."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return int(fields[9])
    return None


def owner(server_port: int, client_port: int, pids: list[int], timeout: float = 5.0) -> int:
    """Which of ``pids`` holds the server side of the connection from ``client_port``."""
    deadline = time.monotonic() + timeout
    while True:
        inode = _server_side_inode(server_port, client_port)
        if inode is not None:
            target = f"socket:[{inode}]"
            for pid in pids:
                try:
                    fds = os.listdir(f"/proc/{pid}/fd")
                except OSError:
                    continue
                for fd in fds:
                    try:
                        if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                            return pid
                    except OSError:
                        continue
        if time.monotonic() > deadline:
            raise AssertionError(f"no worker of {pids} accepted the connection from port {client_port}")
        time.sleep(0.005)  # accepted by the kernel, not yet by a worker's event loop


class PinnedClient:
    """JSON over HTTP/1.1 keep-alive connections, one per worker, to a server on 127.0.0.1."""

    def __init__(self, port: int, pids: list[int], prefix: str = "/api/v1") -> None:
        self.port, self.pids, self.prefix = port, pids, prefix
        self._connections: dict[int, http.client.HTTPConnection] = {}
        self.served_by: list[int] = []  # the worker of every answer, in order

    def _connect(self, pid: int) -> http.client.HTTPConnection:
        spare: list[http.client.HTTPConnection] = []
        try:
            for _ in range(MAX_TRIES):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.connect()
                assert conn.sock is not None
                landed = owner(self.port, conn.sock.getsockname()[1], self.pids)
                if landed == pid:
                    return conn
                spare.append(conn)  # kept open meanwhile, so the next one may go elsewhere
            raise AssertionError(f"{MAX_TRIES} connections and none reached worker {pid}")
        finally:
            for conn in spare:
                conn.close()

    def request(self, pid: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request on worker ``pid``; (status, decoded JSON body)."""
        conn = self._connections.get(pid)
        if conn is None or conn.sock is None:
            conn = self._connections[pid] = self._connect(pid)
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, self.prefix + path, body=data, headers=JSON_TYPE)
        assert conn.sock is not None
        self.served_by.append(owner(self.port, conn.sock.getsockname()[1], self.pids))
        response = conn.getresponse()
        raw = response.read()
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            del self._connections[pid]
        return response.status, json.loads(raw) if raw else None

    def stream(self, pid: int, path: str, body: Any) -> http.client.HTTPResponse:
        """A training stream on worker ``pid`` (its own connection; read it with ``events``)."""
        conn = self._connect(pid)
        conn.request("POST", self.prefix + path, body=json.dumps(body).encode(), headers=JSON_TYPE)
        assert conn.sock is not None
        self.served_by.append(owner(self.port, conn.sock.getsockname()[1], self.pids))
        return conn.getresponse()

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()


def iter_events(response: http.client.HTTPResponse) -> Iterator[tuple[str, Any]]:
    """The (event, data) pairs of a server-sent-events answer as they arrive."""
    kind = None
    for raw in response:
        line = raw.decode().rstrip("\r\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind is not None:
            yield kind, json.loads(line[6:])
            kind = None
