"""gunicorn settings, from the environment."""

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("REGISTRY_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One process per core: more only compete for the cores (measured on 2 cores: 5 workers served
# a cached index page at 1,000 req/s with a p99 of 900 ms, 2 workers at 4,100 req/s, 46 ms).
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
# Two threads: one request can stream an upload while the other answers the index. More
# threads hurt the tail under load (the GIL): on 2 cores at 16 connections, p99 was 24 ms
# with 1 thread, 143 ms with 2 and 320 ms with 4, for the same ~3,000-3,300 req/s (November).
# With the front cache (issue 14) 1 and 2 threads measured alike: 2,450-2,830 req/s, p99
# 14-18 ms for a cached page, so the upload headroom of the second thread costs nothing.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Large uploads over slow links: don't kill a worker that is still receiving.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "600"))
graceful_timeout = 30
keepalive = 5
# An empty GUNICORN_ACCESS_LOG turns the access log off (benchmarks, tests).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Never log query strings or headers: a token may travel in either.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'

# gunicorn 25.1+ opens a control socket for `gunicornc`, by default the same
# ~/.gunicorn/gunicorn.ctl for every instance, so a second instance on the machine takes the
# first one's. Each instance keeps its own in its data folder (the default as in settings.py);
# GUNICORN_CONTROL_SOCKET names another path, and an empty one turns the socket off.
_data_dir = Path(os.environ.get("REGISTRY_DATA_DIR") or Path(__file__).resolve().parent / "var")
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", str(_data_dir / "gunicorn.ctl"))
control_socket = _control_socket or str(_data_dir / "gunicorn.ctl")
control_socket_disable = not _control_socket


def worker_exit(server: object, worker: object) -> None:
    """Fold this worker's download counts before it goes: with the local-memory cache they
    live in this process only, so a restart would otherwise lose them (packages_pypi.downloads).
    """
    try:
        from packages_pypi.downloads import downloads_fold

        downloads_fold()
    except Exception:  # a worker must exit whatever the database says
        import logging

        logging.getLogger("gunicorn.error").exception("could not fold download counts on exit")
