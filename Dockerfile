# Backprop Lab: one container serves the page and the REST API on 0.0.0.0:8000, fully offline
# (Plotly.js, math rendering and the datasets are inside the image).
#   docker build -t backprop-lab .
#   docker run -p 8000:8000 backprop-lab
# Networks are kept in an SQLite file under /data (a volume): mount one to keep them across
# containers, e.g. `docker run -p 8000:8000 -v backprop-data:/data backprop-lab`.
# The first build needs the package registry (PyPI); later builds after a code change reuse the
# cached dependency layers and need no network. To carry the image to a machine without one:
# `docker save backprop-lab | gzip > backprop-lab.tar.gz`, there `docker load < backprop-lab.tar.gz`.
# The dependency lists, read from pyproject.toml in a stage of their own: the layers below are
# keyed on the lists' contents, so an edit elsewhere in pyproject.toml (tools, test extras) does not
# invalidate them and needs no network either.
FROM python:3.11-slim AS requirements
COPY pyproject.toml /tmp/
RUN python -c "import tomllib; p = tomllib.load(open('/tmp/pyproject.toml', 'rb')); \
print('\n'.join(p['project']['dependencies']), file=open('/requirements.txt', 'w')); \
print('\n'.join(p['build-system']['requires']), file=open('/build-requirements.txt', 'w'))"

FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the list changes, not on every change to
# the code. Without the packages' own test suites, and without bytecode: the last layer compiles
# only what the server imports (plotly, say, is there for the plotly.min.js it bundles), which
# keeps about 40 MB out of the image.
COPY --from=requirements /requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --no-compile -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && find "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" -depth -type d -name tests \
        -exec rm -rf {} +

# The wheel, built in a stage of its own with the pinned build backend (hatchling, from
# pyproject.toml's [build-system], installed in a cached layer): no download after a code change,
# and neither the source tree nor the build backend ends up in the image.
FROM runtime AS wheel
COPY --from=requirements /build-requirements.txt /tmp/build-requirements.txt
RUN pip install --no-cache-dir -r /tmp/build-requirements.txt
COPY . /src
RUN pip wheel --no-cache-dir --no-build-isolation --no-deps --wheel-dir /dist /src

# The image: the dependency layer and the installed wheel (the page's templates/ and static/ are
# inside its app package). Importing the server once writes the bytecode of every module it uses.
FROM runtime
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-compile --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && PYTHONDONTWRITEBYTECODE="" python -c "import app.cli, app.main, uvicorn.loops.uvloop, uvicorn.protocols.http.httptools_impl, uvicorn.lifespan.on" \
    && groupadd --system --gid 10001 backprop \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin backprop \
    && mkdir -p /data \
    && chown 10001:10001 /data

# Configuration by environment variables (see README): override with `docker run -e ...`.
# The server's own limits (app/server.py), applied by `backprop-lab serve`:
ENV BACKPROP_HOST=0.0.0.0 \
    BACKPROP_PORT=8000 \
    BACKPROP_DATA_DIR=/data \
    BACKPROP_HEADER_MAX_BYTES=65536 \
    BACKPROP_HEADER_TIMEOUT_SECONDS=10 \
    BACKPROP_BODY_TIMEOUT_SECONDS=30 \
    BACKPROP_MAX_CONNECTIONS=1000

VOLUME ["/data"]
EXPOSE 8000
# Not root: uid 10001 (backprop), which owns only /data.
USER 10001:10001

HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('BACKPROP_PORT', '8000') + '/api/v1/meta', timeout=4)"]

# One worker process per CPU (BACKPROP_WORKERS=N to choose; with `docker run --cpus N` the CPU count
# is still the host's, so say N), all sharing the store in /data (or BACKPROP_STORE=redis://...);
# SIGTERM stops trainings at their next minibatch, saves them and exits within 2 s, so
# `docker stop` never needs SIGKILL.
CMD ["backprop-lab", "serve"]
