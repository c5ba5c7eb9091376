"""`Sender`: requests go straight to the transport until an answer redirects or sets a cookie; from then on the
client serves them, so redirects and cookies behave exactly as httpx's client makes them."""

from __future__ import annotations

import httpx

from runtime.sources.http.client import Sender

BASE = httpx.URL("https://api.example.com/v1/articles")


class Recorder:
    """A MockTransport that records the requests it answers."""

    def __init__(self, answer: httpx.Response | None = None) -> None:
        self.seen: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"Location": "https://api.example.com/v1/articles?page=2"})
        if request.url.params.get("cookie") == "set":
            return httpx.Response(200, json={"items": []}, headers={"Set-Cookie": "session=abc; Path=/"})
        return httpx.Response(200, json={"items": [], "cookie": request.headers.get("cookie")})


def _sender() -> tuple[Sender, Recorder, Recorder]:
    direct, via_client = Recorder(), Recorder()
    client = httpx.Client(transport=httpx.MockTransport(via_client), headers={"User-Agent": "t"})
    return Sender(client, httpx.MockTransport(direct), BASE), direct, via_client


def _get(sender: Sender, url: str, *, follow: bool = True) -> httpx.Response:
    return sender.send(sender.client.build_request("GET", url), follow_redirects=follow)


def test_pages_of_the_connector_origin_go_straight_to_the_transport() -> None:
    sender, direct, via_client = _sender()
    for page in (1, 2, 3):
        response = _get(sender, f"{BASE}?page={page}")
        assert response.status_code == 200
        assert response.json() == {"items": [], "cookie": None}
        assert response.url == httpx.URL(f"{BASE}?page={page}")  # the request is attached, as the client does
    assert [r.url.params["page"] for r in direct.seen] == ["1", "2", "3"]
    assert via_client.seen == []
    assert direct.seen[0].headers["User-Agent"] == "t"  # the client's headers, from build_request


def test_other_origins_always_go_through_the_client() -> None:
    sender, direct, via_client = _sender()
    _get(sender, "https://login.example.com/token")
    assert direct.seen == []
    assert len(via_client.seen) == 1


def test_a_redirect_is_followed_by_the_client_and_the_run_stays_with_it() -> None:
    sender, direct, via_client = _sender()
    response = _get(sender, "https://api.example.com/moved")
    assert response.status_code == 200
    assert [r.url.path for r in direct.seen] == ["/moved"]
    assert [str(r.url) for r in via_client.seen] == [
        "https://api.example.com/moved",  # sent again through the client, which follows it
        "https://api.example.com/v1/articles?page=2",
    ]
    _get(sender, f"{BASE}?page=3")
    assert len(direct.seen) == 1
    assert len(via_client.seen) == 3


def test_a_redirect_is_returned_as_is_when_not_followed() -> None:
    sender, direct, via_client = _sender()
    response = _get(sender, "https://api.example.com/moved", follow=False)
    assert response.status_code == 302
    assert len(direct.seen) == 1
    assert via_client.seen == []


def test_a_cookie_is_kept_and_sent_from_then_on() -> None:
    sender, direct, via_client = _sender()
    _get(sender, f"{BASE}?cookie=set")
    response = _get(sender, f"{BASE}?page=2")
    assert response.json()["cookie"] == "session=abc"
    assert len(direct.seen) == 1
    assert len(via_client.seen) == 1
