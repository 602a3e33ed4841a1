"""The supply-chain policy applied to an upstream page: which files are served, and why not."""

import datetime
from dataclasses import dataclass

from packages_pypi.upstream.config import Policy
from packages_pypi.upstream.pages import UpstreamEntry

SERVED = "served"


@dataclass(frozen=True)
class Verdict:
    entry: UpstreamEntry
    reason: str  # SERVED, or the rule that removed the file

    @property
    def served(self) -> bool:
        return self.reason == SERVED


def name_allowed(policy: Policy, name: str) -> bool:
    """Allowlist mode: only names on the allowlist are proxied at all."""
    return not policy.allowlist_only or name in policy.allowlist


def judge(policy: Policy, name: str, entries: list[UpstreamEntry],
          now: datetime.datetime) -> list[Verdict]:
    """Each entry with SERVED or the reason it is left out."""
    return [Verdict(entry, _reason(policy, name, entry, now)) for entry in entries]


def served(policy: Policy, name: str, entries: list[UpstreamEntry],
           now: datetime.datetime) -> list[UpstreamEntry]:
    return [verdict.entry for verdict in judge(policy, name, entries, now) if verdict.served]


def _reason(policy: Policy, name: str, entry: UpstreamEntry, now: datetime.datetime) -> str:
    if not name_allowed(policy, name):
        return "allowlist: the name is not on the allowlist"
    for rule in policy.blocklist:
        if rule.matches(name, entry.version):
            return f"blocklist: {rule.text}"
    hours = policy.min_release_age_hours
    if hours and name not in policy.age_exemptions:
        uploaded = entry.uploaded_at
        if uploaded is None:
            # Fail closed: an age we cannot know is not old enough.
            return f"min_release_age: no upload time (the rule is {hours} hours)"
        if uploaded > now - datetime.timedelta(hours=hours):
            return f"min_release_age: uploaded less than {hours} hours ago"
    return SERVED
