# The ledger and the audit log are listed newest first, whole or by one filter: an index on
# (filter, created_at, id) for each makes a page a short index range scan however big the
# ledger grows. They replace the indexes on (team, created_at) and on created_at alone.

from django.db import migrations, models

NEWEST = {
    "creditentry": {
        "credit_newest": [],
        "credit_team_newest": ["team"],
        "credit_kind_newest": ["kind"],
        "credit_provider_newest": ["provider"],
    },
    "auditentry": {
        "audit_newest": [],
        "audit_team_newest": ["team"],
        "audit_action_newest": ["action"],
    },
}


class Migration(migrations.Migration):
    dependencies = [("avatars", "0015_spoken_words")]

    operations = [
        migrations.RemoveIndex(model_name="creditentry", name="credit_team_month"),
        *(
            migrations.AlterField(
                model_name=model,
                name="created_at",
                field=models.DateTimeField(auto_now_add=True),
            )
            for model in NEWEST
        ),
        *(
            migrations.AddIndex(
                model_name=model,
                index=models.Index(fields=[*lead, "created_at", "id"], name=name),
            )
            for model, indexes in NEWEST.items()
            for name, lead in indexes.items()
        ),
    ]
