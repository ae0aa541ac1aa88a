"""Review assignments and the comment thread of a version. An assignment of
a version's creator or submitter as its reviewer is refused by the database
too, whatever code writes it (the approval guard of 0002, for assignments)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


_AUTHOR_ASSIGNED = """EXISTS (
    SELECT 1 FROM registry_modelversion v
    WHERE v.id = NEW.version_id
      AND (v.created_by_id = NEW.reviewer_id OR v.submitted_by_id = NEW.reviewer_id))"""
_REFUSAL = "a version''s creator or submitter cannot review it"

POSTGRESQL_FORWARD = f"""
CREATE FUNCTION governance_review_assignment_guard() RETURNS trigger AS $$
BEGIN
    IF {_AUTHOR_ASSIGNED} THEN
        RAISE EXCEPTION '{_REFUSAL}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_review_assignment_guard
    BEFORE INSERT OR UPDATE ON governance_reviewassignment
    FOR EACH ROW EXECUTE FUNCTION governance_review_assignment_guard();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS governance_review_assignment_guard
    ON governance_reviewassignment;
DROP FUNCTION IF EXISTS governance_review_assignment_guard();
"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER governance_review_assignment_guard_{event.lower()}
    BEFORE {event} ON governance_reviewassignment WHEN {_AUTHOR_ASSIGNED}
    BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"""
    for event in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS governance_review_assignment_guard_{event}"
    for event in ("insert", "update")
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor):
    _run(schema_editor, {"postgresql": [POSTGRESQL_FORWARD], "sqlite": SQLITE_FORWARD})


def reverse(apps, schema_editor):
    _run(schema_editor, {"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE})


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0003_waiver_ticket'),
        ('registry', '0005_status_transitions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('assigned_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('assigned_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_assignments_made', to=settings.AUTH_USER_MODEL)),
                ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_assignments', to=settings.AUTH_USER_MODEL)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='review_assignments', to='registry.modelversion')),
            ],
            options={
                'ordering': ['version', 'assigned_at', 'id'],
                'constraints': [models.UniqueConstraint(fields=('version', 'reviewer'), name='review_assignment_once')],
            },
        ),
        migrations.CreateModel(
            name='VersionComment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='version_comments', to=settings.AUTH_USER_MODEL)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='comments', to='registry.modelversion')),
            ],
            options={
                'ordering': ['version', 'created_at', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='version_comment_not_empty')],
            },
        ),
        migrations.RunPython(forward, reverse),
    ]
