"""Fixtures the proxy's unit tests share."""

import pytest

from tests.fakes.upstream import FakeUpstream


@pytest.fixture
def upstream(settings):
    """A stand-in upstream index on 127.0.0.1, the registry's REGISTRY_PYPI_UPSTREAM_URL."""
    with FakeUpstream() as fake:
        settings.REGISTRY_PYPI_UPSTREAM_URL = f"{fake.url}/simple"
        yield fake
