"""`rest_pull`: paginated HTTP sources behind the source seam (see `runtime.sources.base`).

Modules, one job each: `client` (the httpx client and one page request with retries and errors), `auth` (bearer
token, OAuth2 client credentials), `retry` (tenacity policy, Retry-After, the run's deadline), `pages` (pagination
styles and their checks), `records` (a body -> its records), `checkpoint` (the watermark in the request),
`pull` (the Pull itself: pages in order or concurrently, batches, progress).
"""

from runtime.sources.http.pull import HttpPull, open_http_pull

__all__ = ["HttpPull", "open_http_pull"]
