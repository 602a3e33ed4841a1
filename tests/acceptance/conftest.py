"""Fixtures for journeys through a live server."""

import gc
import threading

import gitlab
import pytest

from tests.factories import make_pat, make_user


@pytest.fixture
def url(live_server):
    return live_server.url


@pytest.fixture
def connect(url):
    """`connect(**credentials)`: a python-gitlab client whose connections end with the test.

    A keep-alive connection left open keeps a live-server request thread, and its database
    connection, alive past the test: SQLite then reports a thread-sharing error and PostgreSQL
    refuses to drop the test database. So the teardown closes the clients, collects the
    connections that error tracebacks still hold, and waits for the server's request threads.
    """
    clients = []

    def _connect(**credentials):
        client = gitlab.Gitlab(url, **credentials)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.session.close()
    gc.collect()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=10)


@pytest.fixture
def admin_gl(connect):
    admin = make_user("root", is_admin=True)
    gl = connect(private_token=make_pat(admin))
    gl.auth()
    return gl
