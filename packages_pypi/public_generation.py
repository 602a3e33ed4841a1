"""The public generation: one token, replaced by every write that can change an anonymous page.

Anonymous index pages and misses are cached under it (`protocol/index_cache.public_page`), so
a hit reads this token and the page and nothing else: no database query. What an anonymous
caller sees depends only on rows whose writes replace the token: packages and their files
(every package write bumps `packages_serial`, see `services.packages_serial_bump`), projects,
groups (visibility, paths, forwarding) and the instance settings (signals, see `apps.py`).
Memberships and tokens decide nothing for an anonymous caller.

Why it is never stale: a reader takes the token *before* it reads the database, and a write
replaces the token *after* its transaction has committed (and once inside it, so that a test
inside one transaction sees it too). A page stored under a token was built from data read
after that token was written; a write committed later replaces the token, and tokens are
random, so the old one never comes back. Replacing (not incrementing) needs no atomic
counter, so the file cache of the embedded default is as safe as Redis.

The token lives in the `generations` cache, which every app server shares (settings).
"""

import secrets

from django.core.cache import BaseCache, caches
from django.db import transaction

_KEY = "public-generation:v1"


def _store() -> BaseCache:
    return caches["generations"]


def public_generation() -> str | None:
    """The current token (created if there is none yet); None when the store cannot say."""
    store = _store()
    token = store.get(_KEY)
    if token is None:
        store.add(_KEY, secrets.token_hex(8), timeout=None)
        token = store.get(_KEY)
    return token if isinstance(token, str) else None


def public_generation_replace() -> None:
    """Call inside a write's transaction: the token is replaced now and again on commit."""
    _replace()
    transaction.on_commit(_replace)


def _replace() -> None:
    _store().set(_KEY, secrets.token_hex(8), timeout=None)
