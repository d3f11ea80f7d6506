"""SSRF: refused addresses, one DNS answer per hop (no rebinding), checked redirects, caps.

Two seams: a scripted resolver (DNS answers of our choosing) with an httpx MockTransport that
records where connections were pinned, and a real HTTP server on 127.0.0.1 reached only when
the test allows 127.0.0.1/32 explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address

import httpx
import pytest

from studio402.errors import BlockedAddressError, InvalidMediaError, PayloadTooLargeError
from studio402.media.addresses import AddressPolicy, IPAddress, refusal_reason
from studio402.media.fetch import ImageFetcher

from .samples import LocalServer, image_bytes, local_server

PNG = image_bytes()
PUBLIC = "93.184.216.34"


class ScriptedResolver:
    """Answers each lookup with the next scripted answer (the last one repeats)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = [[ip_address(a) for a in answer] for answer in answers]
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.calls.append(host)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


class Recorder:
    """A MockTransport handler: serves PNG (or a redirect) and records each request."""

    def __init__(self, redirects: dict[str, str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.redirects = redirects or {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        location = self.redirects.get(request.url.path)
        if location is not None:
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"})


def fetcher(
    resolver: ScriptedResolver | None = None, recorder: Recorder | None = None, **options: object
) -> ImageFetcher:
    policy = options.pop("policy", AddressPolicy())
    return ImageFetcher(
        policy,  # type: ignore[arg-type]
        resolver=resolver or ScriptedResolver([PUBLIC]),
        transport=httpx.MockTransport(recorder or Recorder()),
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/a.png", "loopback"),
        ("http://127.1.2.3:8080/a.png", "loopback"),
        ("http://10.1.2.3/a.png", "private"),
        ("http://192.168.0.10/a.png", "private"),
        ("http://172.16.5.4/a.png", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://169.254.10.1/a.png", "link-local"),
        ("http://100.64.0.1/a.png", "CGNAT"),
        ("http://100.100.100.200/a.png", "metadata"),
        ("http://0.0.0.0/a.png", "unspecified"),
        ("http://224.0.0.1/a.png", "multicast"),
        ("http://240.0.0.1/a.png", "reserved"),
        ("http://[::1]/a.png", "loopback"),
        ("http://[::ffff:127.0.0.1]/a.png", "embedding a loopback"),
        ("http://[::ffff:169.254.169.254]/a.png", "embedding a cloud metadata"),
        ("http://[64:ff9b::a00:1]/a.png", "embedding a private"),
        ("http://[fd00:ec2::254]/a.png", "metadata"),
        ("http://[fc00::1]/a.png", "private"),
        ("http://[fe80::1]/a.png", "link-local"),
        ("http://[ff02::1]/a.png", "multicast"),
    ],
)
async def test_refused_addresses_are_never_connected_to(url: str, reason: str) -> None:
    recorder = Recorder()
    with pytest.raises(BlockedAddressError, match=reason):
        await fetcher(recorder=recorder).fetch(url)
    assert recorder.requests == []


@pytest.mark.parametrize("answer", [["10.0.0.5"], ["127.0.0.1"], [PUBLIC, "192.168.1.1"]])
async def test_a_name_resolving_to_any_refused_address_is_refused(answer: list[str]) -> None:
    recorder = Recorder()
    with pytest.raises(BlockedAddressError):
        await fetcher(ScriptedResolver(answer), recorder).fetch("http://images.example/a.png")
    assert recorder.requests == []


async def test_dns_rebinding_connects_to_the_checked_address_only() -> None:
    resolver = ScriptedResolver([PUBLIC], ["127.0.0.1"])
    recorder = Recorder()
    fetched = await fetcher(resolver, recorder).fetch("http://rebind.example:8080/a.png?x=1")
    assert fetched.data == PNG
    assert resolver.calls == ["rebind.example"]
    [request] = recorder.requests
    assert str(request.url) == f"http://{PUBLIC}:8080/a.png?x=1"
    assert request.headers["Host"] == "rebind.example:8080"


async def test_https_keeps_the_name_for_sni_and_certificate_checks() -> None:
    recorder = Recorder()
    await fetcher(recorder=recorder).fetch("https://cdn.example/a.png")
    [request] = recorder.requests
    assert request.url.host == PUBLIC
    assert request.extensions["sni_hostname"] == "cdn.example"
    assert request.headers["Host"] == "cdn.example"


async def test_a_redirect_to_a_private_address_is_refused_and_not_followed() -> None:
    resolver = ScriptedResolver([PUBLIC], ["10.0.0.7"])
    recorder = Recorder({"/a.png": "http://internal.example/secret"})
    with pytest.raises(BlockedAddressError, match=r"internal\.example resolves to 10\.0\.0\.7"):
        await fetcher(resolver, recorder).fetch("http://cdn.example/a.png")
    assert len(recorder.requests) == 1
    recorder = Recorder({"/b.png": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(BlockedAddressError, match="metadata"):
        await fetcher(recorder=recorder).fetch("http://cdn.example/b.png")
    assert len(recorder.requests) == 1


async def test_redirects_are_followed_a_few_times_then_refused() -> None:
    recorder = Recorder({"/a": "/b", "/b": "https://other.example/c"})
    fetched = await fetcher(recorder=recorder).fetch("http://cdn.example/a")
    assert fetched.url == "https://other.example/c" and fetched.data == PNG
    loop = Recorder({"/a": "/a"})
    with pytest.raises(InvalidMediaError, match="more than 3 redirects"):
        await fetcher(recorder=loop).fetch("http://cdn.example/a")
    assert len(loop.requests) == 4


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://cdn.example/a.png", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:secret@cdn.example/a.png", "credentials"),
        ("http://cdn.example/" + "a" * 5000, "4096 characters"),
        ("http://[::1/a.png", "not a valid URL"),
    ],
)
async def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidMediaError, match=message):
        await fetcher().fetch(url)


async def test_http_errors_are_reported() -> None:
    def not_found(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    broken = ImageFetcher(
        AddressPolicy(),
        resolver=ScriptedResolver([PUBLIC]),
        transport=httpx.MockTransport(not_found),
    )
    with pytest.raises(InvalidMediaError, match="HTTP 404"):
        await broken.fetch("http://cdn.example/a.png")


def test_public_addresses_pass() -> None:
    for address in ("8.8.8.8", PUBLIC, "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert refusal_reason(ip_address(address)) is None


def test_the_operator_allows_networks_and_hosts_explicitly() -> None:
    policy = AddressPolicy(["127.0.0.1/32"], ["files.internal"])
    policy.check("127.0.0.1", ip_address("127.0.0.1"))
    policy.check("x", ip_address("::ffff:127.0.0.1"))
    policy.check("files.internal", ip_address("10.9.9.9"))
    with pytest.raises(BlockedAddressError):
        policy.check("127.0.0.2", ip_address("127.0.0.2"))


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


def local_fetcher(**options: object) -> ImageFetcher:
    return ImageFetcher(AddressPolicy(["127.0.0.1/32"]), **options)  # type: ignore[arg-type]


async def test_a_real_local_server_is_reached_only_when_allowed(server: LocalServer) -> None:
    server.serve_bytes("/ok.png", PNG)
    with pytest.raises(BlockedAddressError):
        await ImageFetcher(AddressPolicy()).fetch(server.url("/ok.png"))
    assert server.hits == []
    fetched = await local_fetcher().fetch(server.url("/ok.png"))
    assert fetched.data == PNG and server.hits == ["/ok.png"]


async def test_a_real_redirect_to_private_space_is_refused(server: LocalServer) -> None:
    server.redirect("/go", "http://10.0.0.1/internal")
    server.redirect("/meta", "http://169.254.169.254/latest/meta-data/iam")
    with pytest.raises(BlockedAddressError, match=r"10\.0\.0\.1"):
        await local_fetcher().fetch(server.url("/go"))
    with pytest.raises(BlockedAddressError, match="metadata"):
        await local_fetcher().fetch(server.url("/meta"))


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_20_mb_file_is_cut_off_at_the_cap(server: LocalServer, chunked: bool) -> None:
    size = 20 * 1024 * 1024
    server.serve_bytes("/big.png", PNG + b"\0" * (size - len(PNG)), chunked=chunked)
    with pytest.raises(PayloadTooLargeError, match="10000000"):
        await local_fetcher(max_bytes=10_000_000).fetch(server.url("/big.png"))
    if chunked:  # streamed until the cap, then the connection is dropped
        for _ in range(100):
            if "/big.png" in server.sent:
                break
            await _sleep()
        assert server.sent["/big.png"] < size


async def test_a_slow_server_hits_the_deadline(server: LocalServer) -> None:
    server.slow("/slow", 2.0)
    with pytest.raises(InvalidMediaError, match=r"longer than 0\.3 s"):
        await local_fetcher(timeout_s=0.3).fetch(server.url("/slow"))


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.05)
