from . import assets, jobs, providers, teams  # noqa: F401  (registers the model admins)
