from django.urls import path

from . import review

app_name = "review"
urlpatterns = [
    path("", review.queue, name="queue"),
    path("renders/<int:pk>/decide/", review.decide, name="decide"),
    path("renders/<int:pk>/comment/", review.comment, name="comment"),
    path("renders/<int:pk>/rerender/", review.rerender, name="rerender"),
    path("renders/<int:pk>/versions/", review.versions, name="versions"),
    path("renders/<int:pk>/share/", review.share, name="share"),
    path("links/<int:pk>/revoke/", review.revoke, name="revoke"),
]
