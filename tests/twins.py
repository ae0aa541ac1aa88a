"""Comparing a compiled query (mlgov.db) with its ORM twin."""

from django.db.models import Model


def columns(instance: Model | None) -> list | None:
    """Every column of an instance, and of the related instances loaded with
    it (select_related), as values."""
    if instance is None:
        return None
    values: list = [
        getattr(instance, f.attname) for f in instance._meta.concrete_fields
    ]
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.is_cached(instance):
            values.append((field.name, columns(getattr(instance, field.name))))
    return values


def assert_same_instances(compiled: list[Model], orm: list[Model]) -> None:
    """The same rows, whole, with the same related instances loaded."""
    assert [type(i) for i in compiled] == [type(i) for i in orm]
    assert [columns(i) for i in compiled] == [columns(i) for i in orm]
    assert all(not instance.get_deferred_fields() for instance in compiled)
