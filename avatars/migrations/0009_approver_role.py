from django.db import migrations

from avatars.roles import sync_role_groups


def give_approve_permission(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("avatars", "0008_approve_permission")]

    operations = [migrations.RunPython(give_approve_permission, migrations.RunPython.noop)]
