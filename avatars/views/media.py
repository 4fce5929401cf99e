import mimetypes

from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from avatars import byte_ranges, review
from avatars.media_urls import Grant, LinkExpired, attachment, presigned_url, resolve
from avatars.stored_media import stored


@require_safe
def signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        grant = resolve(token)
    except (signing.BadSignature, LinkExpired, KeyError, TypeError, ValueError):
        raise Http404("This link is invalid or has expired.") from None
    if grant.share is not None and review.live_share_by_id(grant.share) is None:
        return render(request, "review/share_gone.html", status=410)
    if grant.share is None and not isinstance(default_storage, FileSystemStorage):
        return _hand_over_to_s3(grant)
    try:
        file = stored(default_storage, grant.name)
    except FileNotFoundError:
        raise Http404("This file no longer exists.") from None
    content_type = mimetypes.guess_type(grant.name)[0] or "application/octet-stream"
    response = byte_ranges.serve(request, file.read, file.size, content_type, file.modified)
    if grant.download:
        response["Content-Disposition"] = attachment(grant.download)
    # A shared file is asked for afresh each time, so a revoked link is not played from cache.
    response["Cache-Control"] = (
        "private, no-cache" if grant.share is not None else f"private, max-age={grant.remaining}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _hand_over_to_s3(grant: Grant) -> HttpResponseRedirect:
    """A link made before media moved to S3: a presigned link of the same lifetime, which
    serves ranges itself instead of streaming through this process."""
    if not default_storage.exists(grant.name):
        raise Http404("This file no longer exists.")
    return HttpResponseRedirect(
        presigned_url(default_storage, grant.name, grant.remaining, grant.download)
    )
