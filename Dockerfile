# Backprop Lab: one container serves the page and the REST API on 0.0.0.0:8000, fully offline
# (Plotly.js, math rendering and the datasets are inside the image).
#   docker build -t backprop-lab .
#   docker run -p 8000:8000 backprop-lab
# Networks are kept in an SQLite file under /data (a volume): mount one to keep them across
# containers, e.g. `docker run -p 8000:8000 -v backprop-data:/data backprop-lab`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, read from pyproject.toml: this layer is rebuilt only when it changes,
# not on every change to the code. Without the packages' own test suites, and without
# bytecode: the next layer compiles only what the server imports (plotly, say, is there for
# the plotly.min.js it bundles), which keeps about 40 MB out of the image.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir --no-compile -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && find "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" -depth -type d -name tests \
        -exec rm -rf {} +

# Then the code. The install is editable so that the top-level templates/ and static/ stay
# next to the app package, where the app looks for them; it adds the `backprop-lab` command.
# Importing the server once writes the bytecode of every module it uses.
COPY . .
RUN pip install --no-cache-dir --no-compile --no-deps -e . \
    && PYTHONDONTWRITEBYTECODE="" python -c "import app.cli, app.main, uvicorn.loops.uvloop, uvicorn.protocols.http.httptools_impl, uvicorn.lifespan.on" \
    && groupadd --system --gid 10001 backprop \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin backprop \
    && mkdir -p /data \
    && chown 10001:10001 /data

# Configuration by environment variables (see README): override with `docker run -e ...`.
ENV BACKPROP_HOST=0.0.0.0 \
    BACKPROP_PORT=8000 \
    BACKPROP_DATA_DIR=/data

VOLUME ["/data"]
EXPOSE 8000
# Not root: uid 10001 (backprop), which owns only /data.
USER 10001:10001

HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('BACKPROP_PORT', '8000') + '/api/v1/meta', timeout=4)"]

CMD ["backprop-lab", "serve"]
