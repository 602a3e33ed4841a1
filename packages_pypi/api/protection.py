"""GitLab's package protection rules API (python-gitlab's `project.package_protection_rules`):
GET/POST /projects/:id/packages/protection/rules, PATCH/DELETE .../rules/:rule_id.

Maintainers and above (GitLab's `authorize_admin_package!`).
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from packages_pypi import protection
from packages_pypi.models import PackageProtectionRule
from projects.access import Ability, access_project
from projects.principals import principal_of
from registry.http.api import validated
from registry.http.exceptions import NotFound


class LevelField(serializers.ChoiceField):
    """An access level by GitLab's name (`maintainer`, `owner`, `admin`), stored as its number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(protection.LEVELS), allow_null=True, **kwargs)

    def to_internal_value(self, data: Any) -> int | None:  # type: ignore[override]
        if data is None or data == "":
            return None
        return protection.LEVELS[super().to_internal_value(data)]

    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]
        return None if value is None else protection.LEVEL_NAMES.get(value)


class RuleInput(serializers.Serializer):
    package_name_pattern = serializers.CharField(max_length=255)
    package_type = serializers.ChoiceField(choices=list(protection.PACKAGE_TYPES))
    minimum_access_level_for_push = LevelField(required=False, default=None)
    minimum_access_level_for_delete = LevelField(required=False, default=None)


class RuleChanges(RuleInput):
    """PATCH: every field optional, and only those sent change (GitLab's declared_params)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class RuleOutput(serializers.Serializer):
    """GitLab's entity: exactly these six keys, in this order."""

    id = serializers.IntegerField()
    project_id = serializers.IntegerField()
    package_name_pattern = serializers.CharField()
    package_type = serializers.CharField()
    minimum_access_level_for_delete = LevelField()
    minimum_access_level_for_push = LevelField()


def _rule(request: Request, ref: str, rule_id: str) -> PackageProtectionRule:
    project = access_project(principal_of(request), ref, Ability.ADMIN_PACKAGE)
    rule = protection.protection_rule_get(project, int(rule_id))
    if rule is None:
        raise NotFound()
    return rule


class ProtectionRuleListApi(APIView):
    """GET lists a project's rules; POST adds one (201)."""

    @extend_schema(responses={200: RuleOutput(many=True)})
    def get(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.ADMIN_PACKAGE)
        return Response(RuleOutput(protection.rules_list(project), many=True).data)

    @extend_schema(request=RuleInput, responses={201: RuleOutput})
    def post(self, request: Request, ref: str) -> Response:
        project = access_project(principal_of(request), ref, Ability.ADMIN_PACKAGE)
        data = validated(RuleInput, request)
        rule = protection.protection_rule_create(project=project, actor=principal_of(request),
                                                 **data)
        return Response(RuleOutput(rule).data, status=201)


class ProtectionRuleDetailApi(APIView):
    """PATCH changes a rule (partial); DELETE removes it (204)."""

    @extend_schema(request=RuleChanges, responses={200: RuleOutput})
    def patch(self, request: Request, ref: str, rule_id: str) -> Response:
        rule = _rule(request, ref, rule_id)
        changes = validated(RuleChanges, request)
        rule = protection.protection_rule_update(rule=rule, changes=changes,
                                                 actor=principal_of(request))
        return Response(RuleOutput(rule).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, ref: str, rule_id: str) -> Response:
        protection.protection_rule_delete(rule=_rule(request, ref, rule_id),
                                          actor=principal_of(request))
        return Response(status=204)
