from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from avatars.api.site import api
from avatars.login_limit import RateLimitedLoginForm
from avatars.observability import views as observability
from avatars.providers.sandbox import missing_extra
from avatars.views import review
from avatars.views.callbacks import provider_callback
from avatars.views.media import signed_media

admin.site.site_header = "Avatar Studio"
admin.site.site_title = "Avatar Studio"
admin.site.index_title = "Library"
admin.site.login_form = RateLimitedLoginForm

urlpatterns = [
    path("", RedirectView.as_view(url="/studio/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", observability.healthz, name="healthz"),
    path("healthz/workers", observability.workers, name="healthz-workers"),
    path("readyz", observability.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("credits/", include("avatars.views.credits_urls")),
    path("m/<str:token>/", signed_media, name="signed-media"),
    path("studio/", include("avatars.views.studio_urls")),
    path("review/", include("avatars.views.review_urls")),
    path("v/<uuid:key>/", review.stable, name="stable"),
    path("s/<str:token>/", review.shared, name="share"),
    path(
        "callbacks/<str:provider>/<int:job_id>/<str:token>/",
        provider_callback,
        name="provider-callback",
    ),
]

# The offline provider, an outside service that happens to run here: only with its extra
# installed (without it, `manage.py check` says so).
if settings.SANDBOX_ENABLED and not missing_extra():
    urlpatterns.append(path("sandbox/", include("avatars.sandbox.urls")))
