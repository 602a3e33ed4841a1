"""The upstream settings that hold for a group: the instance's, overridden down the tree.

Single values (mode, minimum release age, allowlist mode) come from the nearest group that
sets them, else the instance (GitLab's cascade for forwarding). Lists (blocklist, allowlist,
age exemptions) add up from the instance down: a group can tighten the instance's blocklist,
never lift it.
"""

import logging
from dataclasses import dataclass, field

from projects.models import ApplicationSettings, ForwardingMode, Group
from projects.upstream_rules import InvalidRule, Rule, parse_names, parse_rule, split_lines

logger = logging.getLogger(__name__)

_SINGLE = (
    "pypi_package_requests_forwarding",
    "pypi_package_requests_forwarding_mode",
    "pypi_upstream_min_release_age_hours",
    "pypi_upstream_allowlist_only",
)
_MEMO = "_upstream_config"
_LISTS = ("pypi_upstream_blocklist", "pypi_upstream_allowlist", "pypi_upstream_age_exemptions")


@dataclass(frozen=True)
class Policy:
    """The supply-chain policy for upstream files (issue 11, item 6)."""

    min_release_age_hours: int = 0
    allowlist_only: bool = False
    allowlist: frozenset[str] = frozenset()
    age_exemptions: frozenset[str] = frozenset()
    blocklist: tuple[Rule, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class UpstreamConfig:
    forwarding: bool
    mode: str
    offline: bool
    policy: Policy

    @property
    def proxy(self) -> bool:
        return self.forwarding and self.mode == ForwardingMode.PROXY


def upstream_config(group: Group) -> UpstreamConfig:
    """What holds for `group`: two queries (its ancestors' rows, and the instance row), once
    per group object (a request asks for the guard, the mode and the policy)."""
    memo: UpstreamConfig | None = getattr(group, _MEMO, None)
    if memo is None:
        memo = _config(group)
        setattr(group, _MEMO, memo)
    return memo


def _config(group: Group) -> UpstreamConfig:
    rows = {
        row["full_path"]: row
        for row in Group.objects.filter(full_path__in=group.ancestor_paths).values(
            "full_path", *_SINGLE, *_LISTS
        )
    }
    chain = [rows[path] for path in group.ancestor_paths if path in rows]  # outermost first
    instance = ApplicationSettings.load()
    single = {name: getattr(instance, name) for name in _SINGLE}
    lists = {name: getattr(instance, name) for name in _LISTS}
    for row in chain:
        single.update({name: row[name] for name in _SINGLE if row[name] is not None})
        for name in _LISTS:
            lists[name] += "\n" + row[name]
    return UpstreamConfig(
        forwarding=bool(single["pypi_package_requests_forwarding"]),
        mode=single["pypi_package_requests_forwarding_mode"],
        offline=instance.pypi_upstream_offline,
        policy=Policy(
            min_release_age_hours=int(single["pypi_upstream_min_release_age_hours"]),
            allowlist_only=bool(single["pypi_upstream_allowlist_only"]),
            allowlist=frozenset(parse_names(lists["pypi_upstream_allowlist"])),
            age_exemptions=frozenset(parse_names(lists["pypi_upstream_age_exemptions"])),
            blocklist=tuple(_rules(lists["pypi_upstream_blocklist"])),
        ),
    )


def _rules(text: str) -> list[Rule]:
    rules = []
    for line in split_lines(text):
        try:
            rules.append(parse_rule(line))
        except InvalidRule:
            # Saved past the API's check (the Django admin): said loudly, not applied.
            logger.error("upstream blocklist: ignoring the invalid rule %r", line)
    return rules
