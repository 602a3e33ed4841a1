# The registry's application image: gunicorn serving registry.wsgi on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REGISTRY_DATA_DIR=/data \
    REGISTRY_BIND=0.0.0.0:8000

WORKDIR /app
COPY . /app
# Editable, so that templates/ and static/ beside the code are found (settings.BASE_DIR).
RUN pip install -e . \
    && useradd --system --uid 10001 --home-dir /data registry \
    && mkdir -p /data/uploads && chown -R registry /data
USER registry
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/-/readiness', timeout=2)"

# collectstatic writes to the container's own /data/static; migrations run in their own
# one-shot service (docker-compose.yml), so that N replicas never race to migrate.
# `registry_check --repair --quick` sweeps what a killed worker left (never blocking the start).
CMD ["sh", "-c", "python manage.py collectstatic --noinput --verbosity 0 && { python manage.py registry_check --repair --quick || true; } && exec gunicorn registry.wsgi --config gunicorn.conf.py"]
