"""Forwarding of index misses to the upstream index (GitLab's pypi.org redirect), guarded."""

from django.conf import settings

from packages_pypi.names import normalize_name
from packages_pypi.selectors import name_exists_in_tree
from projects.models import ApplicationSettings, Group


def forwarding_enabled(group: Group) -> bool:
    """The nearest group setting up the tree, else the instance setting (GitLab's cascade)."""
    overrides = dict(
        Group.objects.filter(full_path__in=group.ancestor_paths)
        .exclude(pypi_package_requests_forwarding=None)
        .values_list("full_path", "pypi_package_requests_forwarding")
    )
    for path in reversed(group.ancestor_paths):
        if path in overrides:
            return overrides[path]
    return ApplicationSettings.load().pypi_package_requests_forwarding


def upstream_url_for(group: Group, requested_name: str) -> str | None:
    """Where to send a client for a name missing in scope, or None to answer 404.

    Never forwards a name that exists anywhere in the scope's top-level group, even in
    projects the caller cannot see: that would hand a private name to whoever registers it
    upstream first (dependency confusion, gitlab#384253).
    """
    normalized = normalize_name(requested_name)
    if not forwarding_enabled(group) or name_exists_in_tree(group, normalized):
        return None
    # GitLab sends the name as requested; the normalised form is what PEP 503 pages live at.
    return f"{settings.REGISTRY_PYPI_UPSTREAM_URL}/{normalized}/"
