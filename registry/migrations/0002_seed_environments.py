from django.db import migrations

ENVIRONMENTS = [
    # name, rank, requires, min_soak_hours
    ("development", 10, None, 0),
    ("staging", 20, "development", 0),
    ("production", 30, "staging", 24),
]


def seed_environments(apps, schema_editor):
    Environment = apps.get_model("registry", "Environment")
    for name, rank, requires, soak in ENVIRONMENTS:
        Environment.objects.get_or_create(
            name=name,
            defaults={
                "rank": rank,
                "requires": Environment.objects.filter(name=requires).first(),
                "min_soak_hours": soak,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(seed_environments, migrations.RunPython.noop)]
