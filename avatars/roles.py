"""The roles of DESIGN.md as Django groups, and what each may do."""

from django.apps.registry import Apps

MARKETING, EDITOR, AUDITOR = "Marketing", "Editor", "Auditor"

_ASSETS = ("avatar", "voice", "script", "audioclip", "tag")
_ACTIONS = ("add", "change", "delete", "view")
_MANAGE_ASSETS = [f"{action}_{model}" for model in _ASSETS for action in _ACTIONS]
_MANAGE_ASSETS += ["view_scriptrevision", "view_team"]

_REQUEST_RENDERS = ["add_renderjob", "view_renderjob", "view_jobevent"]
_RUN_CAMPAIGNS = ["add_campaign", "change_campaign", "view_campaign", "view_campaignrow"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: [*_MANAGE_ASSETS, *_REQUEST_RENDERS, *_RUN_CAMPAIGNS],
    EDITOR: [
        *_MANAGE_ASSETS,
        *_REQUEST_RENDERS,
        *_RUN_CAMPAIGNS,
        "approve_campaign",
        "cancel_renderjob",
        "retry_renderjob",
        "approve_renderjob",
        "review_renderjob",
        "add_apikey",
        "change_apikey",
        "view_apikey",
    ],
    AUDITOR: [
        f"view_{model}"
        for model in (
            *(_ASSETS),
            "scriptrevision",
            "team",
            "renderjob",
            "jobevent",
            "creditentry",
            "auditentry",
            "campaign",
            "campaignrow",
            "apikey",
        )
    ],
}


def sync_role_groups(apps: Apps) -> None:
    """Create the role groups and give each exactly its permissions (used by migrations)."""
    from django.apps import apps as installed_apps
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("avatars")
    if getattr(app_config, "models_module", None) is None:
        # The migration state's stand-in app config has no models module, and
        # create_permissions skips such apps: lend it the installed app's.
        app_config.models_module = installed_apps.get_app_config("avatars").models_module
    create_permissions(app_config, verbosity=0, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(
            permission_model.objects.filter(
                content_type__app_label="avatars", codename__in=codenames
            )
        )
