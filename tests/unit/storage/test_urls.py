"""Signed file URLs: expiry, tampering, and binding to the key."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from studio402.errors import Studio402Error
from studio402.storage.urls import SignedUrlError, SignedUrlExpiredError, UrlSigner

KEY = "results/ab/cd/abcd.png"
EXP = 1_800_000_000


def _parts(url: str) -> tuple[str, int, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path, int(query["exp"][0]), query["sig"][0]


def test_sign_produces_the_files_path(signer: UrlSigner) -> None:
    url = signer.sign(KEY, EXP)
    path, exp, sig = _parts(url)
    assert path == f"/files/{KEY}"
    assert exp == EXP
    assert sig == signer.signature(KEY, EXP)
    assert "=" not in sig
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_valid_url_verifies_until_expiry(signer: UrlSigner) -> None:
    _, exp, sig = _parts(signer.sign(KEY, EXP))
    signer.verify(KEY, exp, sig, now=EXP - 1)
    signer.verify(KEY, exp, sig, now=EXP - 0.001)


@pytest.mark.parametrize("now", [EXP, EXP + 1, EXP + 10**6])
def test_expired_url_is_refused(signer: UrlSigner, now: float) -> None:
    _, exp, sig = _parts(signer.sign(KEY, EXP))
    with pytest.raises(SignedUrlExpiredError) as info:
        signer.verify(KEY, exp, sig, now=now)
    assert info.value.status == 403
    assert info.value.code == "url_expired"


def test_tampered_signature_is_refused(signer: UrlSigner) -> None:
    _, exp, sig = _parts(signer.sign(KEY, EXP))
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    for bad in (flipped, sig[:-1], sig + "A", "", "not base64 ü"):
        with pytest.raises(SignedUrlError) as info:
            signer.verify(KEY, exp, bad, now=EXP - 10)
        assert type(info.value) is SignedUrlError
        assert info.value.status == 403


def test_extending_the_expiry_breaks_the_signature(signer: UrlSigner) -> None:
    _, exp, sig = _parts(signer.sign(KEY, EXP))
    with pytest.raises(SignedUrlError):
        signer.verify(KEY, exp + 3600, sig, now=EXP - 10)


def test_signature_is_bound_to_the_key(signer: UrlSigner) -> None:
    _, exp, sig = _parts(signer.sign(KEY, EXP))
    with pytest.raises(SignedUrlError):
        signer.verify("results/ab/cd/other.png", exp, sig, now=EXP - 10)


def test_signature_is_bound_to_the_secret(signer: UrlSigner) -> None:
    _, exp, sig = _parts(signer.sign(KEY, EXP))
    other = UrlSigner(b"o" * 32)
    with pytest.raises(SignedUrlError):
        other.verify(KEY, exp, sig, now=EXP - 10)


def test_tampered_expired_url_reports_bad_signature_not_expiry(signer: UrlSigner) -> None:
    with pytest.raises(SignedUrlError) as info:
        signer.verify(KEY, EXP, "garbage", now=EXP + 10)
    assert type(info.value) is SignedUrlError


def test_errors_belong_to_the_error_tree() -> None:
    assert issubclass(SignedUrlExpiredError, SignedUrlError)
    assert issubclass(SignedUrlError, Studio402Error)
    assert not SignedUrlError.retryable


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        UrlSigner(b"short")


def test_sign_refuses_unsafe_keys(signer: UrlSigner) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        signer.sign("../etc/passwd", EXP)


def test_route_prefix_is_configurable() -> None:
    signer = UrlSigner(b"k" * 32, route_prefix="/v1/files/")
    assert signer.sign("a.png", 5).startswith("/v1/files/a.png?exp=5&sig=")
