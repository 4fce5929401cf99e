from . import assets, jobs, teams  # noqa: F401  (registers the model admins)
