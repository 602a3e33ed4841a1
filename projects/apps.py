"""App config for users, groups, projects and memberships."""

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Users, groups and projects"
