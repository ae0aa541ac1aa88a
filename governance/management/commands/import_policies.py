from pathlib import Path

import yaml
from auditlog.context import set_actor
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from governance.documents import parse_policy_documents
from governance.services import apply_policy_documents, known_environment_names
from mlgov.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Make the stored policies match a YAML or JSON document "
        "({policies: [...]}), as the governance admin named by --as."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--as", dest="username", required=True)
        parser.add_argument("--dry-run", action="store_true", help="Report only.")
        parser.add_argument(
            "--prune", action="store_true", help="Remove policies the file omits."
        )
        parser.add_argument(
            "--reason",
            help="Why the policies change, kept with each new revision "
            "(default: 'Imported from <file name>').",
        )

    def handle(
        self,
        *args,
        path: Path,
        username: str,
        dry_run: bool,
        prune: bool,
        reason: str | None,
        **options,
    ):
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"No user {username!r}.")
        try:
            content = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        if not isinstance(content, dict) or "policies" not in content:
            raise CommandError("The document needs a top-level 'policies' list.")
        try:
            documents = parse_policy_documents(
                content["policies"], environments=known_environment_names()
            )
            with set_actor(actor):
                changes = apply_policy_documents(
                    actor=actor,
                    documents=documents,
                    reason=reason or f"Imported from {path.name}",
                    prune=prune,
                    dry_run=dry_run,
                )
        except DomainError as error:
            raise CommandError(error.message) from error
        for change in changes:
            if change.action == "unchanged":
                continue
            details = [
                f"fields {', '.join(change.fields)}" if change.fields else "",
                f"rules added {list(change.rules_added)}" if change.rules_added else "",
                f"rules changed {list(change.rules_changed)}"
                if change.rules_changed
                else "",
                f"rules removed {list(change.rules_removed)}"
                if change.rules_removed
                else "",
            ]
            self.stdout.write(
                f"{change.action:7} {change.name}: "
                + ("; ".join(part for part in details if part) or "-")
            )
        changed = sum(change.action != "unchanged" for change in changes)
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"{changed} {'policy' if changed == 1 else 'policies'} {verb}."
        )
