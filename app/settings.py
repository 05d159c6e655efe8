"""Server settings, read from environment variables prefixed ``BACKPROP_`` (e.g. ``BACKPROP_TTL_SECONDS=600``).

Every limit here is enforced by the API with a 422 (or 413 for the body size) that names the limit,
and reported to the page by ``GET /api/v1/meta``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All settings with their defaults; see docs/api.md ("Settings")."""

    model_config = SettingsConfigDict(env_prefix="BACKPROP_", frozen=True, extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address `backprop-lab serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `backprop-lab serve` listens on.")
    # The HTTP server's own limits (`backprop-lab serve`, the Docker image; see app/server.py)
    header_max_bytes: int = Field(
        default=65_536, ge=1024, le=1_048_576, description="Largest request line + headers in bytes (else 431)."
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="A request's headers must arrive within this time (else 408)."
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="A request's body must arrive this soon after its headers (408)."
    )
    max_connections: int = Field(
        default=1000, ge=1, le=1_000_000, description="Most open connections and requests at once (beyond: 503)."
    )
    allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description='Host headers served (e.g. ["lab.example.org", "*.example.org"]; others get 400); empty: any.',
    )

    # The network store
    ttl_seconds: float = Field(default=3600.0, gt=0, description="A network unused for this long is deleted.")
    max_networks: int = Field(default=1000, ge=1, description="Store cap; the least recently used network goes first.")
    evict_idle_seconds: float = Field(
        default=300.0, ge=0, description="At the cap, only a network idle this long may be evicted (else 503)."
    )
    max_creations_per_client: int = Field(
        default=300, ge=1, description="Networks one client address may create per creation_window_seconds (429)."
    )
    creation_window_seconds: float = Field(default=600.0, gt=0, description="The window of that limit.")
    persist: bool = Field(default=True, description="Keep networks in an SQLite file in data_dir across restarts.")
    data_dir: Path = Field(default=Path("data"), description="Folder of that SQLite file (created if missing).")
    store: str = Field(
        default="",
        description="Where networks live, shared by every worker: empty = the SQLite file in data_dir (or memory "
        "when persist is off), `memory` (one worker only), `sqlite:///path/to/file.sqlite3`, or "
        "`redis://host:6379/0` (several machines).",
    )
    lease_seconds: float = Field(
        default=4.0, gt=0, le=60, description="A network's lock runs out this long after a dead holder's last renewal."
    )
    lock_wait_seconds: float = Field(
        default=130.0, gt=0, description="Longest a request waits for a busy network (then 503 with Retry-After)."
    )

    # Network size
    max_layers: int = Field(default=10, ge=1, description="Largest L (number of weight layers).")
    max_width: int = Field(default=256, ge=1, description="Largest layer width n_k (inputs and outputs included).")
    max_parameters: int = Field(default=100_000, ge=1, description="Largest number of parameters (weights and biases).")

    # Work per request
    max_batch: int = Field(default=1000, ge=1, description="Most examples (rows of x, or dataset rows) in one request.")
    max_epochs: int = Field(default=1000, ge=1, description="Most epochs in one training request.")
    max_train_batch_size: int = Field(default=5000, ge=1, description="Largest minibatch size for training.")
    max_train_seconds: float = Field(
        default=120.0, gt=0, description="A training request stops (stopped = true) after this many seconds."
    )
    max_gradcheck_entries: int = Field(
        default=2000,
        ge=1,
        description="Most parameter entries one gradient check may probe (use max_entries to sample).",
    )
    max_gradcheck_work: int = Field(
        default=500_000_000,
        ge=1,
        description="Most entries * N * n_parameters (about the multiply-adds) one gradient check may cost.",
    )
    max_surface_resolution: int = Field(default=200, ge=2, description="Largest decision-surface resolution per axis.")
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Largest request body in bytes (else 413).")
    max_answer_bytes: int = Field(
        default=32_000_000,
        ge=10_000,
        description="Largest answer, estimated before computing (else 422 naming it); also per stream event.",
    )
    max_streams: int = Field(
        default=64, ge=1, description="Training streams one worker runs at once (beyond it: 503 with Retry-After)."
    )

    # Performance
    compute_threads: int = Field(
        default=0, ge=0, description="Threads per worker for computation (0 = the number of CPUs)."
    )
    blas_threads: int = Field(
        default=1,
        ge=0,
        description="OpenBLAS/OpenMP threads per computing thread (0 = leave the library's own setting).",
    )
    pin_workers: bool = Field(
        default=True,
        description="With `--workers` above 1, each worker process runs on a CPU of its own (one worker per CPU; "
        "more workers than CPUs: the rest unpinned), so its GIL hand-overs stay on one CPU.",
    )
    inline_work_limit: int = Field(
        default=50_000,
        ge=0,
        description="Forward/backward/step run on the event loop when n_parameters * N is at most this; "
        "larger work runs in a worker thread.",
    )
    telemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry integration (spans, metrics, logs) when a provider is configured; "
        "off by default because its per-request checks cost about 40 microseconds.",
    )
    gc_freeze: bool = Field(
        default=True, description="Freeze the start-up heap (gc.freeze) so full collections stay short."
    )
    gc_log: bool = Field(default=False, description="Log every garbage-collection pause longer than gc_log_ms.")
    gc_log_ms: float = Field(default=10.0, ge=0, description="Threshold for gc_log, in milliseconds.")
