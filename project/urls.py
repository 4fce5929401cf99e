from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from avatars.views.media import signed_media

admin.site.site_header = "Avatar Studio"
admin.site.site_title = "Avatar Studio"
admin.site.index_title = "Library"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("m/<str:token>/", signed_media, name="signed-media"),
]
