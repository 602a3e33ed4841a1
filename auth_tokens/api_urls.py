"""Token routes under /api/v4: personal access tokens, deploy tokens and CI jobs."""

from django.urls import re_path

from auth_tokens import api

OWNER = r"^(?P<kind>projects|groups)/(?P<ref>.+)"

urlpatterns = [
    re_path(
        r"^users/(?P<user_id>\d+)/personal_access_tokens$",
        api.UserPersonalAccessTokenCreateApi.as_view(),
    ),
    re_path(r"^personal_access_tokens$", api.PersonalAccessTokenListApi.as_view()),
    re_path(
        r"^personal_access_tokens/(?P<token_id>self|\d+)/rotate$",
        api.PersonalAccessTokenRotateApi.as_view(),
    ),
    re_path(
        r"^personal_access_tokens/(?P<token_id>self|\d+)$",
        api.PersonalAccessTokenDetailApi.as_view(),
    ),
    re_path(rf"{OWNER}/deploy_tokens/(?P<token_id>\d+)$", api.DeployTokenDetailApi.as_view()),
    re_path(rf"{OWNER}/deploy_tokens$", api.DeployTokenListCreateApi.as_view()),
    re_path(r"^projects/(?P<ref>.+)/jobs$", api.CiJobCreateApi.as_view()),
    re_path(r"^jobs/(?P<job_id>\d+)/finish$", api.CiJobFinishApi.as_view()),
]
