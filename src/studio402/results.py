"""Result URLs, minted at poll time: presigned by the object store, or signed by us for /files."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio402.services import Services

_URL_FIELDS = (("imageKey", "imageUrl"), ("videoKey", "videoUrl"), ("thumbnailKey", "thumbnailUrl"))
# Stored name -> public name. The upstream cost stays private to the operator.
_PASSED_THROUGH = {
    "contentType": "contentType",
    "width": "width",
    "height": "height",
    "durationS": "durationSeconds",
}


async def result_url(services: Services, key: str) -> str:
    """A short-lived URL for a stored object."""
    ttl_s = services.settings.storage.url_ttl_s
    presigned = await services.store.presign_get(key, ttl_s)
    if presigned is not None:
        return presigned
    expires_at = int((services.clock.now() + timedelta(seconds=ttl_s)).timestamp())
    return services.settings.resolved_public_url + services.signer.sign(key, expires_at)


async def public_result(services: Services, stored: dict[str, Any]) -> dict[str, Any]:
    """Turn the stored result (object keys) into what clients read (URLs that expire)."""
    document: dict[str, Any] = {}
    for key_field, url_field in _URL_FIELDS:
        key = stored.get(key_field)
        if isinstance(key, str):
            document[url_field] = await result_url(services, key)
    for stored_name, public_name in _PASSED_THROUGH.items():
        if stored_name in stored:
            document[public_name] = stored[stored_name]
    document["urlExpiresAt"] = (
        services.clock.now() + timedelta(seconds=services.settings.storage.url_ttl_s)
    ).isoformat()
    return document
