from . import assets, teams  # noqa: F401  (registers the model admins)
