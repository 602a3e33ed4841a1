"""The upstream proxy's settings in the REST API (issue 11): the instance's in
/application/settings, a group's overrides in its attributes. Lists travel as JSON arrays and
are kept one entry a line; a bad blocklist rule is a 400 that names it."""

from typing import Any

from rest_framework import serializers

from projects.models import ForwardingMode
from projects.upstream_rules import InvalidRule, parse_rule, split_lines

MAX_AGE_HOURS = 24 * 365


class _LinesField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(max_length=255), **kwargs)

    def to_internal_value(self, data: Any) -> str:  # type: ignore[override]
        return "\n".join(line.strip() for line in super().to_internal_value(data) if line.strip())

    def to_representation(self, data: Any) -> list[str]:
        return split_lines(str(data or ""))


class RuleListField(_LinesField):
    """Blocklist rules: `evil-pkg`, `requests==2.99.0`, `foo>=3`, `tensorfl0w*`."""

    def to_internal_value(self, data: Any) -> str:  # type: ignore[override]
        text = super().to_internal_value(data)
        for line in split_lines(text):
            try:
                parse_rule(line)
            except InvalidRule as error:
                raise serializers.ValidationError(str(error)) from error
        return text


class NameListField(_LinesField):
    """Package names (the allowlist, the exemptions from the minimum release age)."""


class InstanceUpstreamInput(serializers.Serializer):
    pypi_package_requests_forwarding_mode = serializers.ChoiceField(
        choices=ForwardingMode.values, required=False
    )
    pypi_upstream_offline = serializers.BooleanField(required=False)
    pypi_upstream_min_release_age_hours = serializers.IntegerField(
        min_value=0, max_value=MAX_AGE_HOURS, required=False
    )
    pypi_upstream_allowlist_only = serializers.BooleanField(required=False)
    pypi_upstream_blocklist = RuleListField(required=False)
    pypi_upstream_allowlist = NameListField(required=False)
    pypi_upstream_age_exemptions = NameListField(required=False)


class InstanceUpstreamOutput(serializers.Serializer):
    pypi_package_requests_forwarding_mode = serializers.CharField()
    pypi_upstream_offline = serializers.BooleanField()
    pypi_upstream_min_release_age_hours = serializers.IntegerField()
    pypi_upstream_allowlist_only = serializers.BooleanField()
    pypi_upstream_blocklist = RuleListField()
    pypi_upstream_allowlist = NameListField()
    pypi_upstream_age_exemptions = NameListField()


class GroupUpstreamInput(serializers.Serializer):
    """A group's overrides: null inherits from the parent (and the instance at the top)."""

    pypi_package_requests_forwarding = serializers.BooleanField(required=False, allow_null=True)
    pypi_package_requests_forwarding_mode = serializers.ChoiceField(
        choices=ForwardingMode.values, required=False, allow_null=True
    )
    pypi_upstream_min_release_age_hours = serializers.IntegerField(
        min_value=0, max_value=MAX_AGE_HOURS, required=False, allow_null=True
    )
    pypi_upstream_allowlist_only = serializers.BooleanField(required=False, allow_null=True)
    pypi_upstream_blocklist = RuleListField(required=False)
    pypi_upstream_allowlist = NameListField(required=False)
    pypi_upstream_age_exemptions = NameListField(required=False)


class GroupUpstreamOutput(serializers.Serializer):
    pypi_package_requests_forwarding = serializers.BooleanField(allow_null=True)
    pypi_package_requests_forwarding_mode = serializers.CharField(allow_null=True)
    pypi_upstream_min_release_age_hours = serializers.IntegerField(allow_null=True)
    pypi_upstream_allowlist_only = serializers.BooleanField(allow_null=True)
    pypi_upstream_blocklist = RuleListField()
    pypi_upstream_allowlist = NameListField()
    pypi_upstream_age_exemptions = NameListField()


GROUP_UPSTREAM_FIELDS = tuple(GroupUpstreamInput().fields)
