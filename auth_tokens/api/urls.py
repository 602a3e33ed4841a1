"""Token routes under /api/v4: personal access tokens, deploy tokens and CI jobs."""

from django.urls import re_path

from auth_tokens.api import trusted_publishers, views

OWNER = r"^(?P<kind>(?:projects|groups))/(?P<ref>.+)"

urlpatterns = [
    re_path(
        r"^users/(?P<user_id>\d+)/personal_access_tokens$",
        views.UserPersonalAccessTokenCreateApi.as_view(),
    ),
    re_path(r"^personal_access_tokens$", views.PersonalAccessTokenListApi.as_view()),
    re_path(
        r"^personal_access_tokens/(?P<token_id>(?:self|\d+))/rotate$",
        views.PersonalAccessTokenRotateApi.as_view(),
    ),
    re_path(
        r"^personal_access_tokens/(?P<token_id>(?:self|\d+))$",
        views.PersonalAccessTokenDetailApi.as_view(),
    ),
    re_path(rf"{OWNER}/deploy_tokens/(?P<token_id>\d+)$", views.DeployTokenDetailApi.as_view()),
    re_path(rf"{OWNER}/deploy_tokens$", views.DeployTokenListCreateApi.as_view()),
    re_path(r"^projects/(?P<ref>.+)/jobs$", views.CiJobCreateApi.as_view()),
    re_path(
        r"^projects/(?P<ref>.+)/packages/pypi/trusted_publishers/(?P<publisher_id>\d+)$",
        trusted_publishers.TrustedPublisherDetailApi.as_view(),
    ),
    re_path(
        r"^projects/(?P<ref>.+)/packages/pypi/trusted_publishers$",
        trusted_publishers.TrustedPublisherListCreateApi.as_view(),
    ),
    re_path(r"^jobs/(?P<job_id>\d+)/finish$", views.CiJobFinishApi.as_view()),
]
