"""The syntax of the upstream supply-chain policy's lists: requirement-style rules and names.

Here, below every app that uses it, so that the REST API can refuse a bad rule with a 400 and
the proxy (packages_pypi.upstream.policy) can apply the same parse.
"""

import fnmatch
import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

_GLOB_CHARACTERS = frozenset("*?[")
_SEPARATORS = re.compile(r"[-_.]+")


class InvalidRule(ValueError):
    """A line of a blocklist that is neither a requirement nor a name glob."""


@dataclass(frozen=True)
class Rule:
    """One blocklist line: a name (or PEP 503-normalised glob) and an optional version range."""

    text: str
    name_pattern: str
    specifier: SpecifierSet | None

    def matches(self, normalized_name: str, version: str) -> bool:
        if not fnmatch.fnmatchcase(normalized_name, self.name_pattern):
            return False
        if self.specifier is None or not str(self.specifier):
            return True
        try:
            # Pre-releases count: `foo>=3` must block 3.1rc1 too.
            return self.specifier.contains(Version(version), prereleases=True)
        except InvalidVersion:
            return True  # fail closed: a rule on this name removes what it cannot compare


def split_lines(text: str) -> list[str]:
    """The meaningful lines of a list setting: stripped, without blanks and `#` comments.

    One entry a line, never split on commas: `foo>=1,<2` is one rule (a specifier set)."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def parse_rule(line: str) -> Rule:
    """`evil-pkg`, `requests==2.99.0`, `foo>=3` or a name glob such as `tensorfl0w*`.

    Raises InvalidRule for anything else (a URL, a marker, a glob with a version).
    """
    text = line.strip()
    if _GLOB_CHARACTERS.intersection(text):
        if not re.fullmatch(r"[A-Za-z0-9._\-*?\[\]!]+", text):
            raise InvalidRule(f"{text!r}: a name glob has only name characters and * ? [ ]")
        return Rule(text=text, name_pattern=_SEPARATORS.sub("-", text).lower(), specifier=None)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise InvalidRule(f"{text!r}: {error}") from error
    if requirement.url or requirement.marker:
        raise InvalidRule(f"{text!r}: a rule has a name and versions only")
    return Rule(
        text=text, name_pattern=canonicalize_name(requirement.name),
        specifier=requirement.specifier,
    )


def parse_rules(text: str) -> list[Rule]:
    """Every rule of a blocklist setting; raises InvalidRule for the first bad line."""
    return [parse_rule(line) for line in split_lines(text)]


def parse_names(text: str) -> set[str]:
    """A list of names (allowlist, exemptions), normalised."""
    return {canonicalize_name(line) for line in split_lines(text)}
