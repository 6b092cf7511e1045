# syntax=docker/dockerfile:1
# Build wheels for feedsvc and its dependencies, then a slim runtime.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY feedsvc ./feedsvc
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin feedsvc
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
# Every setting by environment (FEEDSVC_<NAME>); sources read-only, store on a volume.
ENV FEEDSVC_SOURCE_DIR=/srv/articles \
    FEEDSVC_DATA_DIR=/data \
    FEEDSVC_BASE_URL=http://localhost:8000/ \
    FEEDSVC_WORKERS=2 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER 10001
EXPOSE 8000
# Needs no curl: Python itself asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# gunicorn as feedsvc.server sets it up (FEEDSVC_WORKERS gevent workers, the scanner
# in a process of its own); every setting comes from the environment.
CMD ["gunicorn", "--config", "python:feedsvc.server", "--bind", "0.0.0.0:8000"]
