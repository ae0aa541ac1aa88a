"""Record each existing policy's current state as its current revision, so
every policy has a revision to diff against from now on. Who made the change
and why before revisions existed is not known: changed_by stays empty and the
reason says so (the only reason the database lets go unattributed)."""

from django.db import migrations

BACKFILL_REASON = "Recorded when revisions were introduced"


def record_current_revisions(apps, schema_editor):
    Policy = apps.get_model("governance", "Policy")
    PolicyRevision = apps.get_model("governance", "PolicyRevision")
    for policy in Policy.objects.prefetch_related("rules").order_by("pk"):
        if PolicyRevision.objects.filter(
            policy=policy, revision=policy.revision
        ).exists():
            continue
        rules = sorted(policy.rules.all(), key=lambda rule: rule.position)
        PolicyRevision.objects.create(
            policy=policy,
            revision=policy.revision,
            document={
                "name": policy.name,
                "description": policy.description,
                "enforcement": policy.enforcement,
                "scope": {
                    "risk_tiers": list(policy.risk_tiers),
                    "environments": list(policy.environments),
                    "tags": list(policy.tags),
                },
                "rules": [{"kind": rule.kind, "params": rule.params} for rule in rules],
            },
            changed_by=None,
            reason=BACKFILL_REASON,
            created_at=policy.updated_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0005_policy_revisions"),
    ]

    operations = [
        migrations.RunPython(record_current_revisions, migrations.RunPython.noop),
    ]
