from django.db import migrations

from avatars.roles import sync_role_groups


def give_render_permissions(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("avatars", "0003_render_jobs")]

    operations = [migrations.RunPython(give_render_permissions, migrations.RunPython.noop)]
