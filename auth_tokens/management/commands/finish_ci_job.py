"""Finish a CI job, so that its token stops working."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from auth_tokens.models import CiJob
from auth_tokens.services import ci_job_finish


class Command(BaseCommand):
    help = "Finish a CI job; its job token is refused from then on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", type=int)
        parser.add_argument("--status", default=CiJob.Status.SUCCESS,
                            choices=[s for s in CiJob.Status.values if s != CiJob.Status.RUNNING])

    # argparse values, typed as the options of BaseCommand.handle are.
    def handle(self, *args: object, **options: Any) -> None:
        job = CiJob.objects.filter(pk=options["job_id"]).first()
        if job is None:
            raise CommandError(f"no job {options['job_id']}")
        ci_job_finish(job=job, status=str(options["status"]))
        self.stdout.write(f"Job {job.pk} {job.status}")
