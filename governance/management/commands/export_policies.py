import json

import yaml
from django.core.management.base import BaseCommand

from governance.services import export_policy_documents


class Command(BaseCommand):
    help = "Print every policy as a YAML (default) or JSON document list."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, format: str, **options):
        documents = {"policies": export_policy_documents()}
        if format == "json":
            self.stdout.write(json.dumps(documents, indent=2))
        else:
            self.stdout.write(yaml.safe_dump(documents, sort_keys=False))
