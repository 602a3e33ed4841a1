"""The stack's own ceiling: a trivial Django view under our settings, middleware and gunicorn.

`DJANGO_SETTINGS_MODULE=benchmarks.ceiling` is our settings with one more URL,
`/api/v4/-/bench/ceiling` (`benchmarks/ceiling_urls.py`, under /api/ like the index, so
with the same middleware work), answering a fixed short text. Everything a
request of ours pays before and after the view (gunicorn, WSGI, every middleware) it pays
too, so a cached page's rate over this one's says how much of the stack's limit is left.
"""

from registry.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.ceiling_urls"
