"""Forwarding of index misses to the upstream index (GitLab's pypi.org redirect), guarded."""

from django.conf import settings
from packaging.utils import NormalizedName, canonicalize_name

from packages_pypi.names import is_valid_project_name
from packages_pypi.selectors import hides_packages_in_tree
from packages_pypi.tombstones import name_known_in_tree
from packages_pypi.upstream.config import upstream_config
from projects.access import readable_under_filter
from projects.models import Group
from projects.principals import Principal


def forwarding_enabled(group: Group) -> bool:
    """The nearest group setting up the tree, else the instance setting (GitLab's cascade)."""
    return upstream_config(group).forwarding


def upstream_url_for(*, principal: Principal, group: Group, requested_name: str) -> str | None:
    """Where to redirect a client for a name missing in scope, or None to answer 404."""
    name = forwardable_name(principal=principal, group=group, requested_name=requested_name)
    # GitLab sends the name as requested; the normalised form is what PEP 503 pages live at.
    return None if name is None else f"{settings.REGISTRY_PYPI_UPSTREAM_URL}/{name}/"


def forwardable_name(
    *, principal: Principal, group: Group, requested_name: str
) -> NormalizedName | None:
    """The normalised name if a miss for it may go upstream (redirect or proxy), else None.

    The one guard every way upstream passes: the redirect, the proxied page, and each proxied
    file and core metadata (so a private name is never fetched, whatever the mode).

    Three guards, cheapest first:
    - Only valid PEP 508 names go upstream: anything else is nobody's package, and would be
      pasted into the upstream URL as it is (`a?x=1`).
    - A name that exists anywhere in the scope's top-level group is never forwarded, even from
      projects the caller cannot see: that would hand a private name to whoever registers it
      upstream first (dependency confusion, gitlab#384253). Nor is a name deleted from it (a
      tombstone), until an administrator releases it.
    - Deliberate difference from GitLab: a caller who cannot read the packages of every project
      of the top-level group (that holds any) gets no forwarding from that tree at all. Else the
      guard above is an oracle: 404 for a private name, a redirect for an unknown one. Such a
      caller now gets the same 404 for both; pip and uv then ask the next index they were given.
    """
    if not is_valid_project_name(requested_name) or not forwarding_enabled(group):
        return None
    normalized = canonicalize_name(requested_name)
    if name_known_in_tree(group, normalized):
        return None
    root = group.ancestor_paths[0]
    if hides_packages_in_tree(group, readable_under_filter(principal, full_path=root)):
        return None
    return normalized
