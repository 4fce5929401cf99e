from django.urls import path

from avatars import faces

from . import views
from .face import portrait_has_face

# Mounted, the sandbox lends the studio its face detector for the upload warning.
faces.register(portrait_has_face)

urlpatterns = [
    path("api/v1/client/job/CreateTask", views.create_task, name="sandbox-create"),
    path("api/v1/client/job/TaskInfo", views.task_info, name="sandbox-info"),
    path("api/v1/client/account/balance", views.balance, name="sandbox-balance"),
    path("results/<str:task_id>.mp4", views.result, name="sandbox-result"),
    path("preview/speech.wav", views.speech_preview, name="sandbox-speech-preview"),
]
