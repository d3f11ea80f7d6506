"""Money text, spending caps, wallets, offers and the CLI's parameter helpers."""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

import pytest
from eth_account import Account
from x402.http.utils import encode_payment_required_header
from x402.schemas import PaymentRequired, PaymentRequirements

from studio402.chain.devkeys import load_or_create_dev_keys
from studio402.cli.exit_codes import ExitCode, exit_code_for
from studio402.cli.params import build_body, parse_params, split_aspects
from studio402.client import (
    ApiError,
    Budget,
    JobFailedError,
    NoPayableOfferError,
    PaymentRefusedError,
    SignInError,
    SpendingCapError,
    WalletError,
    load_wallet,
    parse_usd,
    usd,
)
from studio402.client.payer import AssetPolicy, choose_offer, decode_challenge

BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
KEY = "0x" + "ab" * 32


@pytest.mark.parametrize(
    ("atomic", "text"), [(134000, "0.134"), (1_000_000, "1"), (0, "0"), (10_000_000, "10")]
)
def test_usd_is_exact(atomic: int, text: str) -> None:
    assert usd(atomic) == text
    assert parse_usd(text) == atomic


@pytest.mark.parametrize("text", ["abc", "-1", "0.0000001", "nan", ""])
def test_parse_usd_refuses_non_amounts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_usd(text)


def test_parse_usd_accepts_a_dollar_sign() -> None:
    assert parse_usd("$0.25") == 250000


def test_budget_reservations_never_overshoot_the_session_cap() -> None:
    budget = Budget(max_per_call_atomic=None, max_per_session_atomic=1_000)
    granted: list[object] = []

    def take() -> None:
        with contextlib.suppress(SpendingCapError):
            granted.append(budget.reserve(300))

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 3 and budget.remaining_atomic == 100
    granted[0].release()  # type: ignore[attr-defined]
    granted[1].commit()  # type: ignore[attr-defined]
    assert budget.spent_atomic == 300 and budget.remaining_atomic == 400


def test_budget_per_call_cap_and_max_price_both_bind() -> None:
    budget = Budget(max_per_call_atomic=500)
    with pytest.raises(SpendingCapError) as caught:
        budget.check(600)
    assert caught.value.cap == "the per-call cap"
    with pytest.raises(SpendingCapError) as caught:
        budget.check(400, max_price_atomic=300)
    assert caught.value.cap == "max_price"
    budget.check(400)


def test_wallet_from_env_variable() -> None:
    wallet = load_wallet("env:MY_KEY", environ={"MY_KEY": KEY})
    assert wallet.address == Account.from_key(KEY).address
    assert KEY not in repr(wallet) and wallet.source == "env:MY_KEY"
    with pytest.raises(WalletError, match="not set"):
        load_wallet("env:MISSING", environ={})


def test_wallet_default_prefers_the_private_key_variable(tmp_path: Path) -> None:
    wallet = load_wallet(None, environ={"STUDIO402_PRIVATE_KEY": KEY}, default_data_dir=tmp_path)
    assert wallet.address == Account.from_key(KEY).address
    with pytest.raises(WalletError, match="no wallet"):
        load_wallet(None, environ={}, default_data_dir=tmp_path)


def test_wallet_from_keystore(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "secret", iterations=2)))
    wallet = load_wallet(f"keystore:{path}", password="secret", environ={})
    assert wallet.address == Account.from_key(KEY).address
    assert load_wallet(str(path), environ={"STUDIO402_KEYSTORE_PASSWORD": "secret"}).address
    with pytest.raises(WalletError, match="wrong password"):
        load_wallet(str(path), password="nope", environ={})
    with pytest.raises(WalletError, match="needs a password"):
        load_wallet(str(path), environ={})


def test_dev_wallet_of_a_data_directory(tmp_path: Path) -> None:
    keys = load_or_create_dev_keys(tmp_path / "chain")
    for spec in (f"dev:{tmp_path}", str(tmp_path), f"dev:{tmp_path / 'chain'}"):
        wallet = load_wallet(spec, environ={})
        assert wallet.address == keys.address("payer") and wallet.is_dev
    with pytest.raises(WalletError, match="no dev wallet"):
        load_wallet(f"dev:{tmp_path / 'empty'}", environ={})


def test_a_raw_key_on_the_command_line_is_refused() -> None:
    with pytest.raises(WalletError, match="shell history"):
        load_wallet(KEY, environ={})


def _challenge(*offers: tuple[str, str, str]) -> PaymentRequired:
    accepts = [
        PaymentRequirements(
            scheme="exact",
            network=network,
            asset=asset,
            amount=amount,
            pay_to="0x" + "11" * 20,
            max_timeout_seconds=300,
            extra={"name": "USD Coin", "version": "2"},
        )
        for network, asset, amount in offers
    ]
    return PaymentRequired(accepts=accepts)


def test_offers_default_to_known_usdc_and_allowed_tokens_only() -> None:
    challenge = _challenge(("eip155:31337", TOKEN, "100"), ("eip155:8453", BASE_USDC, "200"))
    assert choose_offer(challenge, AssetPolicy()).asset == BASE_USDC
    allowed = AssetPolicy([("eip155:31337", TOKEN)])
    assert choose_offer(challenge, allowed).asset == TOKEN  # the cheaper one
    with pytest.raises(NoPayableOfferError):
        choose_offer(_challenge(("eip155:31337", TOKEN, "100")), AssetPolicy())


def test_challenge_header_round_trips() -> None:
    challenge = _challenge(("eip155:8453", BASE_USDC, "134000"))
    assert decode_challenge(encode_payment_required_header(challenge)) == challenge
    with pytest.raises(ApiError):
        decode_challenge("not base64 json")
    with pytest.raises(ApiError):
        decode_challenge(None)


def test_cli_params_and_aspects() -> None:
    assert split_aspects("1:1, 9:16,16:9") == ["1:1", "9:16", "16:9"]
    assert split_aspects(None) == [None]
    with pytest.raises(ValueError, match="twice"):
        split_aspects("1:1,1:1")
    assert parse_params(["imageSize=2K", "n:=2", "flags:=[1]"]) == {
        "imageSize": "2K",
        "n": 2,
        "flags": [1],
    }
    with pytest.raises(ValueError):
        parse_params(["novalue"])
    body = build_body("flux-2-pro", "a fox", aspect="16:9", size="1 MP")
    assert body == {"prompt": "a fox", "aspect_ratio": "16:9", "resolution": "1 MP"}
    assert build_body("nano-banana-pro", "a fox", aspect="1:1")["aspectRatio"] == "1:1"


def test_exit_codes_are_distinct_per_outcome() -> None:
    assert len({int(code) for code in ExitCode}) == len(ExitCode)
    assert exit_code_for(PaymentRefusedError("x")) is ExitCode.PAYMENT_REFUSED
    assert exit_code_for(JobFailedError("x", job=None)) is ExitCode.JOB_FAILED
    assert exit_code_for(SignInError("x", status=403)) is ExitCode.AUTH
    assert exit_code_for(ApiError("x", status=400)) is ExitCode.REQUEST_REJECTED
    assert exit_code_for(RuntimeError()) is ExitCode.ERROR


def test_public_surface_is_pinned() -> None:
    import studio402.client as client

    assert client.__all__ == sorted(client.__all__, key=lambda name: (not name.isupper(), name))
    for name in (
        "AsyncStudio402Client",
        "Studio402Client",
        "official_x402_client",
        "sign_in_with_x",
        "load_wallet",
        "SpendingCapError",
    ):
        assert name in client.__all__ and hasattr(client, name)
