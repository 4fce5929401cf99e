from django.urls import path

from . import studio, studio_avatars, studio_campaigns, studio_scripts

app_name = "studio"
urlpatterns = [
    path("", studio.home, name="home"),
    path("avatars/new/", studio.avatar_new, name="avatar_new"),
    # Scripts (avatars/views/studio_scripts.py)
    path("scripts/", studio_scripts.scripts, name="scripts"),
    path("scripts/new/", studio_scripts.script_new, name="script_new"),
    path("scripts/check.json", studio_scripts.script_check, name="script_check"),
    path("scripts/preview.wav", studio_scripts.speech_preview_text, name="speech_preview_text"),
    path("scripts/<int:pk>/", studio_scripts.script_detail, name="script"),
    path("scripts/<int:pk>/edit/", studio_scripts.script_edit, name="script_edit"),
    path("scripts/<int:pk>/archive/", studio_scripts.script_archive, name="script_archive"),
    path("scripts/<int:pk>/copy/", studio_scripts.script_duplicate, name="script_duplicate"),
    path("scripts/<int:pk>/preview.wav", studio_scripts.speech_preview, name="speech_preview"),
    path("render/", studio.new_render, name="new_render"),
    path("renders/", studio.renders, name="renders"),
    path("renders/status.json", studio.renders_status, name="renders_status"),
    path("renders/<int:pk>/", studio.job_detail, name="job"),
    path("renders/<int:pk>/status.json", studio.job_status_feed, name="job_status"),
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
    # Campaigns (views/studio_campaigns.py).
    path("campaigns/", studio_campaigns.campaigns, name="campaigns"),
    path("campaigns/new/", studio_campaigns.campaign_new, name="campaign_new"),
    path("campaigns/create/", studio_campaigns.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", studio_campaigns.campaign_detail, name="campaign"),
    path(
        "campaigns/<int:pk>/status.json", studio_campaigns.campaign_status, name="campaign_status"
    ),
    path(
        "campaigns/<int:pk>/results.csv", studio_campaigns.campaign_export, name="campaign_export"
    ),
    path("campaigns/<int:pk>/videos.zip", studio_campaigns.campaign_videos, name="campaign_videos"),
    path("campaigns/<int:pk>/rows/", studio_campaigns.campaign_reupload, name="campaign_reupload"),
    path(
        "campaigns/<int:pk>/<slug:action>/",
        studio_campaigns.campaign_action,
        name="campaign_action",
    ),
]
