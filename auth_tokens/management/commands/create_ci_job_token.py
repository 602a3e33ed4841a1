"""Start a CI job for a user in a project and print only its job token."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from auth_tokens.services import ci_job_start
from projects.lookups import project_get_by_ref
from projects.models import User


class Command(BaseCommand):
    help = "Start a CI job; prints its job token. End it with finish_ci_job <job id>."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", help="project id or full path")
        parser.add_argument("--user", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: object, **options: object) -> None:
        project = project_get_by_ref(str(options["project"]))
        if project is None:
            raise CommandError(f"no project {options['project']!r}")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        job, secret = ci_job_start(project=project, user=user, name=str(options["name"]))
        self.stderr.write(f"Started job {job.pk}")
        self.stdout.write(secret)
