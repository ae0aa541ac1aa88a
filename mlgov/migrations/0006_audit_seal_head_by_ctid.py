"""The PostgreSQL sealing trigger finds the chain head by its row address
after the first seal of a transaction (mlgov/audit_chain.py): each head
update leaves a row version that a lookup by id steps over until the
transaction ends, which made sealing N entries in one transaction cost N².
The first seal still locks the head by id; later ones read and update the
version the previous one wrote, by the ctid kept in the transaction-local
setting mlgov.audit_head_ctid, and fall back to the lock by id when that
version is no longer the head. Seals are computed exactly as before. SQLite
keeps its trigger.

The statements are written out here, not taken from mlgov.audit_chain, so
that what this migration does stays fixed whatever that module becomes.
"""

from django.db import migrations

SEAL_BY_CTID = """
CREATE OR REPLACE FUNCTION mlgov_audit_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text := current_setting('mlgov.audit_head_ctid', true);
    head tid;
    head_position bigint;
    head_hash varchar(64);
    sealed varchar(64);
    locked boolean := false;
BEGIN
    IF known <> '' THEN
        SELECT ctid, position, last_hash INTO head, head_position, head_hash
            FROM mlgov_auditchainhead WHERE ctid = known::tid;
    END IF;
    LOOP
        IF head IS NULL THEN
            INSERT INTO mlgov_auditchainhead (id, position, last_hash)
                VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
                ON CONFLICT (id) DO NOTHING;
            SELECT ctid, position, last_hash INTO head, head_position, head_hash
                FROM mlgov_auditchainhead WHERE id = 1 FOR UPDATE;
            locked := true;
        END IF;
        sealed := encode(sha256(convert_to(head_hash || quote_nullable(NEW."id"::text)
            || '|' || quote_nullable(NEW."content_type_id"::text)
            || '|' || quote_nullable(NEW."object_pk"::text)
            || '|' || quote_nullable(NEW."object_id"::text)
            || '|' || quote_nullable(NEW."object_repr"::text)
            || '|' || quote_nullable(NEW."serialized_data"::text)
            || '|' || quote_nullable(NEW."action"::text)
            || '|' || quote_nullable(NEW."changes_text"::text)
            || '|' || quote_nullable(NEW."changes"::text)
            || '|' || quote_nullable(NEW."actor_id"::text)
            || '|' || quote_nullable(NEW."cid"::text)
            || '|' || quote_nullable(NEW."remote_addr"::text)
            || '|' || quote_nullable(NEW."remote_port"::text)
            || '|' || quote_nullable(to_char(NEW."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')::text)
            || '|' || quote_nullable(NEW."additional_data"::text)
            || '|' || quote_nullable(NEW."actor_email"::text), 'UTF8')), 'hex');
        UPDATE mlgov_auditchainhead SET position = head_position + 1, last_hash = sealed
            WHERE ctid = head RETURNING ctid INTO head;
        EXIT WHEN FOUND;
        IF locked THEN
            RAISE EXCEPTION 'the audit chain head moved under its lock';
        END IF;
    END LOOP;
    PERFORM set_config('mlgov.audit_head_ctid', head::text, true);
    INSERT INTO mlgov_auditseal (entry_id, position, prev_hash, entry_hash)
        VALUES (NEW.id, head_position + 1, head_hash, sealed);
    RETURN NULL;
END $$"""

SEAL_BY_ID = """
CREATE OR REPLACE FUNCTION mlgov_audit_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_position bigint;
    head_hash varchar(64);
    sealed varchar(64);
BEGIN
    INSERT INTO mlgov_auditchainhead (id, position, last_hash)
        VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000')
        ON CONFLICT (id) DO NOTHING;
    SELECT position, last_hash INTO head_position, head_hash
        FROM mlgov_auditchainhead WHERE id = 1 FOR UPDATE;
    sealed := encode(sha256(convert_to(head_hash || quote_nullable(NEW."id"::text)
        || '|' || quote_nullable(NEW."content_type_id"::text)
        || '|' || quote_nullable(NEW."object_pk"::text)
        || '|' || quote_nullable(NEW."object_id"::text)
        || '|' || quote_nullable(NEW."object_repr"::text)
        || '|' || quote_nullable(NEW."serialized_data"::text)
        || '|' || quote_nullable(NEW."action"::text)
        || '|' || quote_nullable(NEW."changes_text"::text)
        || '|' || quote_nullable(NEW."changes"::text)
        || '|' || quote_nullable(NEW."actor_id"::text)
        || '|' || quote_nullable(NEW."cid"::text)
        || '|' || quote_nullable(NEW."remote_addr"::text)
        || '|' || quote_nullable(NEW."remote_port"::text)
        || '|' || quote_nullable(to_char(NEW."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')::text)
        || '|' || quote_nullable(NEW."additional_data"::text)
        || '|' || quote_nullable(NEW."actor_email"::text), 'UTF8')), 'hex');
    INSERT INTO mlgov_auditseal (entry_id, position, prev_hash, entry_hash)
        VALUES (NEW.id, head_position + 1, head_hash, sealed);
    UPDATE mlgov_auditchainhead SET position = head_position + 1, last_hash = sealed
        WHERE id = 1;
    RETURN NULL;
END $$"""


def _replace_seal_function(schema_editor, create: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(create, params=None)


def seal_by_ctid(apps, schema_editor):
    _replace_seal_function(schema_editor, SEAL_BY_CTID)


def seal_by_id(apps, schema_editor):
    _replace_seal_function(schema_editor, SEAL_BY_ID)


class Migration(migrations.Migration):

    dependencies = [
        ("mlgov", "0005_deferred_audit_seal"),
    ]

    operations = [
        migrations.RunPython(seal_by_ctid, seal_by_id),
    ]
