"""The proxy for a URL from the standard variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), as
`httpx.Client(trust_env=True)` would choose it. For code that sends to an httpx transport directly, which reads no
proxy variables itself."""

from __future__ import annotations

import urllib.request

import httpx


def proxy_for(url: str | httpx.URL) -> str | None:
    parsed = httpx.URL(url)
    if urllib.request.proxy_bypass(parsed.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parsed.scheme) or proxies.get("all")
