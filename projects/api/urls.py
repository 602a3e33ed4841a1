"""User, group, project, member and settings routes under /api/v4.

python-gitlab sends `group%2Fsub%2Fproject` as the id, which every WSGI server decodes before
Django routes (gitlab-api-v4.md §3): ids are greedy `(?P<ref>.+)`, the most specific suffix
comes first, and the bare `projects/<ref>` and `groups/<ref>` catch-alls come last. Include
this module after every other /api/v4 module for the same reason.
"""

from django.urls import re_path
from drf_spectacular.views import SpectacularJSONAPIView

from projects.api import audit_events, instance, members, namespaces, views

SUBJECT = r"^(?P<kind>(?:projects|groups))/(?P<ref>.+)"

urlpatterns = [
    re_path(r"^openapi\.json$", SpectacularJSONAPIView.as_view(), name="openapi"),
    re_path(r"^user$", views.CurrentUserApi.as_view()),
    re_path(r"^users$", views.UserListCreateApi.as_view()),
    re_path(r"^users/(?P<user_id>[^/]+)$", views.UserDetailApi.as_view()),
    re_path(r"^users/(?P<user_id>[^/]+)/block$", views.UserBlockApi.as_view()),
    re_path(r"^users/(?P<user_id>[^/]+)/unblock$", views.UserUnblockApi.as_view()),
    re_path(r"^version$", instance.MetadataApi.as_view()),
    re_path(r"^metadata$", instance.MetadataApi.as_view()),
    re_path(r"^namespaces$", namespaces.NamespaceListApi.as_view()),
    re_path(r"^namespaces/(?P<ref>.+)$", namespaces.NamespaceDetailApi.as_view()),
    re_path(r"^application/settings$", members.ApplicationSettingsApi.as_view()),
    re_path(r"^audit_events$", audit_events.AuditEventListApi.as_view()),
    re_path(r"^audit_events/(?P<event_id>[^/]+)$", audit_events.AuditEventDetailApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/audit_events$", audit_events.GroupAuditEventListApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/audit_events/(?P<event_id>\d+)$",
            audit_events.GroupAuditEventDetailApi.as_view()),
    re_path(r"^projects/(?P<ref>.+)/audit_events$",
            audit_events.ProjectAuditEventListApi.as_view()),
    re_path(r"^projects/(?P<ref>.+)/audit_events/(?P<event_id>\d+)$",
            audit_events.ProjectAuditEventDetailApi.as_view()),
    re_path(rf"{SUBJECT}/members/(?P<user_id>\d+)$", members.MemberDetailApi.as_view()),
    re_path(rf"{SUBJECT}/members$", members.MemberListCreateApi.as_view()),
    re_path(r"^groups$", views.GroupListCreateApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/subgroups$", views.GroupSubgroupListApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/descendant_groups$", views.GroupDescendantListApi.as_view()),
    re_path(r"^groups/(?P<ref>.+)/projects$", views.GroupProjectListApi.as_view()),
    re_path(r"^projects$", views.ProjectListCreateApi.as_view()),
    # The catch-alls: keep them last.
    re_path(r"^groups/(?P<ref>.+)$", views.GroupDetailApi.as_view()),
    re_path(r"^projects/(?P<ref>.+)$", views.ProjectDetailApi.as_view()),
]
