"""Credentials: the bearer token, OAuth2 client credentials (cached, renewed once on a 401), and never a credential
for another host. Against real servers on 127.0.0.1 (and `localhost` as the other host)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl

import pytest

from compiler.plan import CursorPagination
from runtime.errors import SourceError
from tests.runtime.http.api_server import ApiServer, PagedApi, Reply, Seen, records
from tests.runtime.http.httpplans import SECRET, TOKEN, http_plan, http_source, oauth_settings, pull

CURSOR = CursorPagination(strategy="cursor", cursor_param="cursor", next_cursor_path="paging.next_cursor")
CLIENT_SECRET = "s3cr3t/with+symbols"


def test_the_secret_is_sent_as_a_bearer_token_with_the_connectors_headers(api: ApiServer, out: str) -> None:
    PagedApi(api, "/articles", "cursor", records(25), page_size=10)
    pull(http_plan(out, http_source(api.url("/articles"), pagination=CURSOR)))
    for seen in api.requests("/articles"):
        assert seen.headers["authorization"] == f"Bearer {TOKEN}"
        assert seen.headers["x-client"] == "tests"
        assert seen.headers["accept"] == "application/json"


def test_the_connectors_headers_replace_the_defaults(api: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(body=[{"id": "1"}])
    pull(http_plan(out, http_source(api.url("/articles"), headers=(("accept", "application/vnd.kb+json"),))))
    (seen,) = api.requests("/articles")
    assert seen.headers["accept"] == "application/vnd.kb+json"  # one value, not the default as well


def test_a_redirect_to_another_host_carries_no_credentials(api: ApiServer, other_host: ApiServer, out: str) -> None:
    api.routes["/articles"] = lambda seen: Reply(302, b"", {"Location": other_host.url("/moved", host="localhost")})
    other_host.routes["/moved"] = lambda seen: Reply(body={"items": [{"id": "1", "title": "moved"}]})
    result = pull(http_plan(out, http_source(api.url("/articles"))))
    assert result.records == [{"id": "1", "title": "moved"}]
    (arrived,) = other_host.requests("/moved")
    assert "authorization" not in arrived.headers
    assert TOKEN.encode() not in arrived.body
    assert arrived.headers["x-client"] == "tests"  # ordinary headers still go


def test_another_host_that_wants_credentials_fails_the_run_saying_why(
    api: ApiServer, other_host: ApiServer, out: str
) -> None:
    api.routes["/articles"] = lambda seen: Reply(307, b"", {"Location": other_host.url("/moved", host="localhost")})
    other_host.routes["/moved"] = lambda seen: Reply(401, {"error": "who are you"})
    with pytest.raises(
        SourceError,
        match=r"HTTP 401 Unauthorized \(after a redirect to http://localhost:\d+/moved, where no credentials are sent\)",
    ):
        pull(http_plan(out, http_source(api.url("/articles"))))


def test_a_same_host_redirect_keeps_the_token(api: ApiServer, out: str) -> None:
    api.routes["/old"] = lambda seen: Reply(301, b"", {"Location": "/articles"})
    api.routes["/articles"] = lambda seen: Reply(body=[{"id": "1"}])
    pull(http_plan(out, http_source(api.url("/old"))))
    assert api.requests("/articles")[0].headers["authorization"] == f"Bearer {TOKEN}"


class TokenEndpoint:
    """An OAuth2 token endpoint that issues numbered tokens; pages accept only the newest one."""

    def __init__(self, server: ApiServer, expires_in: Any = 3600) -> None:
        self.server, self.expires_in = server, expires_in
        self.issued: list[str] = []
        self.forms: list[dict[str, str]] = []
        server.routes["/token"] = self.route

    def route(self, seen: Seen) -> Reply:
        self.forms.append(dict(parse_qsl(seen.body.decode())))
        token = f"access-{len(self.issued) + 1}"
        self.issued.append(token)
        return Reply(body={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    def guard(self, inner: Any) -> Any:
        def route(seen: Seen) -> Reply:
            if not self.issued or seen.headers.get("authorization") != f"Bearer {self.issued[-1]}":
                return Reply(401, {"error": "invalid_token"})
            reply: Reply = inner(seen)
            return reply

        return route


def oauth_plan(api: ApiServer, out: str, method: Any = "client_secret_post") -> Any:
    oauth = oauth_settings(api.url("/token"), method)
    source = http_source(api.url("/articles"), pagination=CURSOR, auth="oauth2_client_credentials", oauth=oauth)
    return http_plan(out, source, oauth_secret=oauth.client_secret)


SECRETS = {SECRET.name: TOKEN, "oauth-client": CLIENT_SECRET}


def test_oauth_client_secret_post_fetches_one_token_for_every_page(api: ApiServer, out: str) -> None:
    tokens = TokenEndpoint(api)
    paged = PagedApi(api, "/articles", "cursor", records(35), page_size=10)
    api.routes["/articles"] = tokens.guard(paged.route)
    result = pull(oauth_plan(api, out), secrets=SECRETS)
    assert len(result.records) == 35
    assert tokens.forms == [
        {
            "grant_type": "client_credentials",
            "scope": "kb.read kb.list",
            "audience": "https://kb.example.com",
            "client_id": "sync client",
            "client_secret": CLIENT_SECRET,
        }
    ]
    assert {seen.headers["authorization"] for seen in api.requests("/articles")} == {"Bearer access-1"}


def test_oauth_client_secret_basic_sends_the_secret_in_the_header_only(api: ApiServer, out: str) -> None:
    tokens = TokenEndpoint(api)
    api.routes["/articles"] = tokens.guard(lambda seen: Reply(body=[{"id": "1"}]))
    pull(oauth_plan(api, out, "client_secret_basic"), secrets=SECRETS)
    (request,) = api.requests("/token")
    scheme, _, encoded = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "sync+client:s3cr3t%2Fwith%2Bsymbols"  # RFC 6749 2.3.1
    assert "client_secret" not in tokens.forms[0]


def test_an_expired_token_is_renewed_once_and_the_page_retried(api: ApiServer, out: str) -> None:
    tokens = TokenEndpoint(api)
    paged = PagedApi(api, "/articles", "cursor", records(35), page_size=10)
    guarded = tokens.guard(paged.route)
    calls = {"n": 0}

    def revoked_after_two_pages(seen: Seen) -> Reply:
        calls["n"] += 1
        if calls["n"] == 3 and len(tokens.issued) == 1:
            tokens.issued.append("revoked")  # the server rotated it: the cached access-1 is now stale
        return guarded(seen)

    api.routes["/articles"] = revoked_after_two_pages
    result = pull(oauth_plan(api, out), secrets=SECRETS)
    assert len(result.records) == 35
    assert len(tokens.forms) == 2
    assert [seen.headers["authorization"] for seen in api.requests("/articles")] == [
        "Bearer access-1",
        "Bearer access-1",
        "Bearer access-1",  # refused: 401
        "Bearer access-3",  # renewed once, the same page again
        "Bearer access-3",
    ]


def test_a_token_that_is_refused_again_fails_the_run_without_the_secret(api: ApiServer, out: str) -> None:
    TokenEndpoint(api)
    api.routes["/articles"] = lambda seen: Reply(401, {"error": "invalid_token"})
    with pytest.raises(SourceError) as caught:
        pull(oauth_plan(api, out), secrets=SECRETS)
    message = str(caught.value)
    assert "page 1 (GET" in message
    assert "HTTP 401 Unauthorized: the credentials were refused" in message
    assert "check the secret 'oauth-client'" in message
    assert CLIENT_SECRET not in message
    assert "access-" not in message
    assert len(api.requests("/token")) == 2  # the first token, then exactly one renewal


def test_a_short_lived_token_is_renewed_before_it_expires(api: ApiServer, out: str) -> None:
    tokens = TokenEndpoint(api, expires_in="1")  # a string, as some servers send it; renewed at half its life
    paged = PagedApi(api, "/articles", "cursor", records(30), page_size=10)
    api.routes["/articles"] = tokens.guard(lambda seen: Reply(**{**vars(paged.route(seen)), "delay": 0.55}))
    result = pull(oauth_plan(api, out), secrets=SECRETS)
    assert len(result.records) == 30
    pages = api.requests("/articles")
    assert len(pages) == 3  # no page was refused: each got a token renewed in time
    assert [seen.headers["authorization"] for seen in pages] == [
        "Bearer access-1",
        "Bearer access-2",
        "Bearer access-3",
    ]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            Reply(401, {"error": "invalid_client"}),
            r"token request to http://127\.0\.0\.1:\d+/token failed: HTTP 401 \(invalid_client\)",
        ),
        (Reply(200, {"token_type": "Bearer"}), "returned no access_token"),
        (
            Reply(302, b"", {"Location": "http://localhost:1/steal"}),
            "was redirected to http://localhost:1/steal; the client secret is never re-sent",
        ),
    ],
)
def test_token_endpoint_failures(reply: Reply, expected: str, api: ApiServer, out: str) -> None:
    api.routes["/token"] = lambda seen: reply
    with pytest.raises(SourceError, match=expected) as caught:
        pull(oauth_plan(api, out), secrets=SECRETS)
    assert CLIENT_SECRET not in str(caught.value)
    assert api.requests("/articles") == []


def test_a_transient_token_endpoint_failure_is_retried(api: ApiServer, out: str) -> None:
    tokens = TokenEndpoint(api)
    count = {"n": 0}

    def flaky(seen: Seen) -> Reply:
        count["n"] += 1
        return Reply(503, b"busy") if count["n"] == 1 else tokens.route(seen)

    api.routes["/token"] = flaky
    api.routes["/articles"] = tokens.guard(lambda seen: Reply(body=[{"id": "1"}]))
    assert len(pull(oauth_plan(api, out), secrets=SECRETS).records) == 1


def test_the_bearer_secret_is_not_sent_when_oauth_is_used(api: ApiServer, out: str) -> None:
    tokens = TokenEndpoint(api)
    api.routes["/articles"] = tokens.guard(lambda seen: Reply(body=[{"id": "1"}]))
    pull(oauth_plan(api, out), secrets=SECRETS)
    assert all(TOKEN not in str(seen) for seen in api.requests())
