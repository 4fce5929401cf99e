from django.urls import path

from . import studio, studio_avatars

app_name = "studio"
urlpatterns = [
    path("", studio.home, name="home"),
    path("avatars/new/", studio.avatar_new, name="avatar_new"),
    path("scripts/", studio.scripts, name="scripts"),
    path("scripts/<int:pk>/", studio.script_detail, name="script"),
    path("scripts/<int:pk>/preview.wav", studio.speech_preview, name="speech_preview"),
    path("render/", studio.new_render, name="new_render"),
    path("renders/", studio.renders, name="renders"),
    path("renders/status.json", studio.renders_status, name="renders_status"),
    path("renders/<int:pk>/", studio.job_detail, name="job"),
    path("renders/<int:pk>/cancel/", studio.job_cancel, name="job_cancel"),
    path("renders/<int:pk>/approve/", studio.job_approve, name="job_approve"),
    path("renders/<int:pk>/send-on/", studio.job_send_on, name="job_send_on"),
    path("notifications/", studio.notifications, name="notifications"),
    # An avatar's page (views/studio_avatars.py).
    path("avatars/<int:pk>/", studio_avatars.avatar_detail, name="avatar"),
    path("avatars/<int:pk>/consent/", studio_avatars.avatar_consent, name="avatar_consent"),
    path("avatars/<int:pk>/tags/", studio_avatars.avatar_tags, name="avatar_tags"),
    path("avatars/<int:pk>/archive/", studio_avatars.avatar_archive, name="avatar_archive"),
    path("avatars/<int:pk>/withdraw/", studio_avatars.avatar_withdraw, name="avatar_withdraw"),
]
