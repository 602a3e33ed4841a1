"""gunicorn settings, from the environment."""

import multiprocessing
import os

bind = os.environ.get("REGISTRY_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# Threads let a worker keep answering index requests while another thread streams an upload.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Large uploads over slow links: don't kill a worker that is still receiving.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "600"))
graceful_timeout = 30
keepalive = 5
# An empty GUNICORN_ACCESS_LOG turns the access log off (benchmarks, tests).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# Never log query strings or headers: a token may travel in either.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
