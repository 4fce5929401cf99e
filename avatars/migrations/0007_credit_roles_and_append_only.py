from django.db import migrations

from avatars.roles import sync_role_groups

# On PostgreSQL the database itself refuses to change or delete ledger and audit rows.
# (TRUNCATE, which tests use to empty tables, is not affected.)
APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION avatars_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER avatars_creditentry_append_only BEFORE UPDATE OR DELETE ON avatars_creditentry
    FOR EACH ROW EXECUTE FUNCTION avatars_append_only();
CREATE TRIGGER avatars_auditentry_append_only BEFORE UPDATE OR DELETE ON avatars_auditentry
    FOR EACH ROW EXECUTE FUNCTION avatars_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS avatars_creditentry_append_only ON avatars_creditentry;
DROP TRIGGER IF EXISTS avatars_auditentry_append_only ON avatars_auditentry;
DROP FUNCTION IF EXISTS avatars_append_only();
"""


def give_credit_permissions(apps, schema_editor):
    sync_role_groups(apps)


def make_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def undo_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("avatars", "0006_credits")]

    operations = [
        migrations.RunPython(give_credit_permissions, migrations.RunPython.noop),
        migrations.RunPython(make_append_only, undo_append_only),
    ]
