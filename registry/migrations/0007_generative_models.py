"""Generative and vendor models: a model's kind, and a version's prompt
template, provider and evaluation results, which are evidence frozen from
submission on (the guards of 0003 are redone with the longer column list).

On SQLite, adding columns and checks rebuilds the version table, which drops
the triggers on it and trips over other tables' triggers that name it; the
rebuild runs with legacy_alter_table on, and the table's triggers (0003,
0005) are created again afterwards."""

from importlib import import_module

import django.db.models.functions.text
import django.db.models.lookups
import registry.models
from django.conf import settings
from django.db import migrations, models

guards = import_module("registry.migrations.0003_version_guards")
transitions = import_module("registry.migrations.0005_status_transitions")

FROZEN = [
    *guards.FROZEN,
    "prompt_template",
    "provider",
    "provider_name",
    "provider_model",
    "evaluation_results",
]


def _postgresql_guard(frozen: list[str]) -> str:
    # CREATE OR REPLACE keeps the trigger that calls the function.
    return (
        guards.POSTGRESQL_FORWARD.replace(
            "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"
        )
        .replace(
            " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in guards.FROZEN),
            " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in frozen),
        )
        .split("CREATE TRIGGER")[0]
    )


def _sqlite_triggers(frozen: list[str]) -> list[str]:
    old_frozen = guards.SQLITE_FORWARD[1]
    new_frozen = old_frozen.replace(
        ", ".join(guards.FROZEN), ", ".join(frozen)
    ).replace(
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in guards.FROZEN),
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in frozen),
    )
    return [
        *guards.SQLITE_REVERSE,
        transitions.SQLITE_REVERSE,
        guards.SQLITE_FORWARD[0],
        new_frozen,
        *guards.SQLITE_FORWARD[2:],
        transitions.SQLITE_FORWARD,
    ]


def _execute(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def _before_rebuild(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _execute(schema_editor, ["PRAGMA legacy_alter_table = ON"])


def _after_rebuild(frozen: list[str]):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            _execute(
                schema_editor,
                ["PRAGMA legacy_alter_table = OFF", *_sqlite_triggers(frozen)],
            )
        elif vendor == "postgresql":
            _execute(schema_editor, [_postgresql_guard(frozen)])

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_ai_act_category'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_before_rebuild, _after_rebuild(guards.FROZEN)),
        migrations.AddField(
            model_name='mlmodel',
            name='kind',
            field=models.CharField(choices=[('predictive', 'Predictive model'), ('llm_application', 'LLM application'), ('vendor_model', 'Vendor model')], default='predictive', help_text="A predictive model, an application on a large language model, or a third party's model.", max_length=20),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='evaluation_results',
            field=models.JSONField(blank=True, default=list, help_text='One result per metric of an evaluation suite: {metric, value, suite, judge, sample_size, dataset_ref}.'),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='prompt_template',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='provider',
            field=models.CharField(blank=True, choices=[('openai', 'openai'), ('anthropic', 'anthropic'), ('azure_openai', 'azure_openai'), ('vertex', 'vertex'), ('bedrock', 'bedrock'), ('mistral', 'mistral'), ('cohere', 'cohere'), ('huggingface', 'huggingface'), ('self_hosted', 'self_hosted'), ('other', 'other')], max_length=20),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='provider_model',
            field=models.CharField(blank=True, help_text="The provider's model identifier and version.", max_length=200),
        ),
        migrations.AddField(
            model_name='modelversion',
            name='provider_name',
            field=models.CharField(blank=True, help_text='Who the provider is, when `provider` is other.', max_length=100),
        ),
        migrations.AddConstraint(
            model_name='mlmodel',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['predictive', 'llm_application', 'vendor_model'])), name='mlmodel_kind_known'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('prompt_template'), 50000)), name='modelversion_prompt_template_length'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.CheckConstraint(condition=models.Q(('provider', ''), ('provider__in', ['openai', 'anthropic', 'azure_openai', 'vertex', 'bedrock', 'mistral', 'cohere', 'huggingface', 'self_hosted', 'other']), _connector='OR'), name='modelversion_provider_known'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('provider', 'other'), models.Q(('provider_name', ''), _negated=True)), models.Q(models.Q(('provider', 'other'), _negated=True), ('provider_name', '')), _connector='OR'), name='modelversion_other_provider_named'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('provider', ''), ('provider_model', '')), models.Q(models.Q(('provider', ''), _negated=True), models.Q(('provider_model', ''), _negated=True)), _connector='OR'), name='modelversion_provider_with_model'),
        ),
        migrations.AddConstraint(
            model_name='modelversion',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.Exact(registry.models.JSONType('evaluation_results'), 'array')), name='modelversion_evaluation_results_list'),
        ),
        migrations.RunPython(_after_rebuild(FROZEN), _before_rebuild),
    ]
