import mimetypes

from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.views.decorators.http import require_GET

from avatars.media_urls import LinkExpired, presigned_url, resolve


@require_GET
def signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        grant = resolve(token)
    except (signing.BadSignature, LinkExpired, KeyError, TypeError):
        raise Http404("This link is invalid or has expired.") from None
    name, remaining = grant.name, grant.remaining
    if not default_storage.exists(name):
        raise Http404("This file no longer exists.")
    if not isinstance(default_storage, FileSystemStorage):
        # A link made before media moved to S3: hand over to a presigned link of the same
        # lifetime, which serves ranges itself instead of streaming through this process.
        return HttpResponseRedirect(presigned_url(default_storage, name, remaining, grant.download))
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=bool(grant.download),
        filename=grant.download,
    )
    response["Cache-Control"] = f"private, max-age={remaining}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
