"""`rest_pull`: pages from an HTTP API as "json" record batches, through the source seam.

Pages are read in order, one request at a time, except where the style allows more: page numbers or offsets with
a total announced on the first page, where the pages after it are fetched `concurrency` at a time (and still
yielded in order). Records are gathered into batches of about `BATCH_RECORDS`, so memory holds a batch and the
pages in flight, whatever the number of pages. Any failure raises a SourceError naming the page and its URL;
the engine then changes nothing.
"""

from __future__ import annotations

import array
import itertools
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pyarrow as pa
import pyarrow.compute as pc

from compiler.plan import HttpSource, OffsetPagination, PageNumberPagination
from runtime import exact_json
from runtime.errors import SourceError
from runtime.progress import ProgressLine
from runtime.sources.base import RECORD_COLUMN, PullContext, PullOutcome, RecordFormat
from runtime.sources.http.ahead import Ahead
from runtime.sources.http.auth import BearerToken, ClientCredentials, Credentials, SendToken
from runtime.sources.http.checkpoint import request_checkpoint
from runtime.sources.http.client import Fetcher, PageRequest, open_client, shown_url
from runtime.sources.http.pages import Pager, body_paths, pager_for
from runtime.sources.http.records import PageParser, ParsedPage, RecordText, not_an_object
from runtime.sources.http.retry import Deadline

BATCH_RECORDS = 1_000
"""Records per Arrow batch handed to staging: a batch per page would cost staging a round trip per page, and the
engine's JSON mapping holds far more memory per batch than the batch itself (10,000 records of ~700 bytes did not
fit a 512 MB DuckDB limit; 1,000 do, at the same speed)."""
PREFETCH_BATCHES = int(os.environ.get("GEMINI_SYNC_REST_PREFETCH", "2"))
"""Batches read ahead in a thread while the engine stages the previous one (0: none)."""
BATCH_BYTES = 8 << 20
"""...or fewer, when their JSON passes this size (a few huge records must not make a huge batch)."""

Fetched = tuple[PageRequest, httpx.Response, ParsedPage]


def records_batch(texts: Sequence[RecordText]) -> pa.RecordBatch:
    """`json_records(texts)`, built from one buffer and its offsets: a third of the time of converting each bytes
    object. Raises pyarrow.ArrowInvalid when a text is not UTF-8 (checked in C, for the whole batch)."""
    offsets = array.array("i", [0])
    offsets.extend(itertools.accumulate(map(len, texts)))
    column = pa.StringArray.from_buffers(len(texts), pa.py_buffer(offsets), pa.py_buffer(b"".join(texts)))
    column.validate(full=True)
    return pa.RecordBatch.from_arrays([column], names=[RECORD_COLUMN])


class _Gathered:
    """Records of consecutive pages, on their way into one batch, with the pages they came from: a record that
    is not UTF-8 or not an object is found once per batch, and named by its page (`where`, built only then)."""

    def __init__(self, where: Callable[[PageRequest, httpx.Response], str]) -> None:
        self.where = where
        self.texts: list[RecordText] = []
        self.pages: list[tuple[PageRequest, httpx.Response, int]] = []  # and its number of records
        self.size = 0

    def add(self, request: PageRequest, response: httpx.Response, records: Sequence[RecordText]) -> None:
        self.texts.extend(records)
        self.pages.append((request, response, len(records)))
        self.size += len(response.content)  # what the records hold: a record's span keeps its whole page

    def batch(self) -> pa.RecordBatch:
        try:
            batch = records_batch(self.texts)
        except pa.ArrowInvalid:
            index = next(i for i, text in enumerate(self.texts) if not _utf8(text))
            where, number = self._page_of(index)
            raise SourceError(
                f"{where}: the response is not JSON (record {number} holds bytes that are not UTF-8); nothing was "
                "changed: check the URL and that the API answers with JSON in UTF-8"
            ) from None
        objects = pc.starts_with(batch.column(0), "{")
        if batch.num_rows and not pc.all(objects).as_py():
            index = pc.index(objects, False).as_py()
            raise not_an_object(*self._page_of(index), _value(self.texts[index]))
        return batch

    def _page_of(self, index: int) -> tuple[str, int]:
        """The page of the batch's record `index` and the record's number (1-based) in it."""
        for request, response, count in self.pages:
            if index < count:
                return self.where(request, response), index + 1
            index -= count
        raise AssertionError("unreachable: the index is within the batch")  # pragma: no cover


def _value(text: RecordText) -> object:
    """A record that is not an object, to describe it: its value, or, where it cannot be read (a number beyond
    a double), a stand-in of its kind."""
    try:
        return exact_json.loads(bytes(text))
    except ValueError:
        return [] if bytes(text).startswith(b"[") else 0


def _utf8(text: RecordText) -> bool:
    try:
        bytes(text).decode()
    except UnicodeDecodeError:
        return False
    return True


def _concurrency(source: HttpSource) -> int:
    style = source.pagination
    return style.concurrency if isinstance(style, PageNumberPagination | OffsetPagination) else 1


def _credentials(context: PullContext, source: HttpSource, send_token: SendToken) -> Credentials:
    if source.oauth is None:
        return BearerToken(context.secrets[source.secret.name])
    return ClientCredentials(source.oauth, context.secrets[source.oauth.client_secret.name], send_token)


class HttpPull:
    """One run's pages. `sleep` waits between retries (tests pass a recorder); `transport` replaces the network
    (the connector test harness's in-process server)."""

    def __init__(
        self,
        context: PullContext,
        source: HttpSource,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self.context, self.source = context, source
        checkpoint = request_checkpoint(context.plan, source, context.checkpoint)
        self.complete = checkpoint.complete
        self.concurrency = _concurrency(source)
        self.sender = open_client(source, self.concurrency, transport)
        self.deadline = Deadline(source.run_timeout_seconds)
        secret = source.secret.name if source.oauth is None else source.oauth.client_secret.name
        credentials = _credentials(context, source, self._send_token)
        self.fetcher = Fetcher(source, self.sender, credentials, self.deadline, checkpoint.body, secret, sleep)
        self.pager: Pager = pager_for(source, checkpoint.params)
        self.parser = PageParser(source.records_path, body_paths(source))
        self.executor: ThreadPoolExecutor | None = None
        self.ahead: Ahead[pa.RecordBatch] | None = None
        self.pages = self.records = 0
        self.started = time.monotonic()

    @property
    def record_format(self) -> RecordFormat:
        return "json"

    def _send_token(self, request: httpx.Request) -> httpx.Response:
        """For the OAuth credentials, which exist before the fetcher they serve."""
        return self.fetcher.send_token(request)

    # --- fetching --------------------------------------------------------------------------------------------

    def _check_cap(self, request: PageRequest) -> None:
        if request.number > self.source.page_cap:
            raise SourceError(
                f"page {request.number} ({self.source.method} {shown_url(request.full_url())}): the page cap of "
                f"{self.source.page_cap:,} pages (maxPages) is reached and the API still has more; nothing was "
                "changed: raise maxPages, or read less per run"
            )

    def _get(self, request: PageRequest) -> Fetched:
        self._check_cap(request)
        response = self.fetcher.fetch(request)
        where = self._where(request, response)
        page = self.parser.parse(response.content, where, response.headers.get("content-type"))
        return request, response, page

    def _concurrently(self, requests: list[PageRequest]) -> Iterator[Fetched]:
        """Fetch `requests` at most `concurrency` at a time; yield them in order."""
        self.executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="rest-pull")
        pending: deque[Future[Fetched]] = deque()
        queue = iter(requests)
        for request in queue:
            pending.append(self.executor.submit(self._get, request))
            if len(pending) >= self.concurrency:
                break
        while pending:
            fetched = pending.popleft().result()
            next_request = next(queue, None)
            if next_request is not None:
                pending.append(self.executor.submit(self._get, next_request))
            yield fetched

    def _fetched(self) -> Iterator[Fetched]:
        fetched = self._get(self.pager.first())
        yield fetched
        request = self.pager.after(*fetched)
        planned = self.pager.remaining() if request is not None else None
        if planned:
            self._check_cap(planned[-1])  # before fetching any of them
            for fetched in self._concurrently(planned):
                yield fetched
                if self.pager.after(*fetched) is None:
                    return
            return
        while request is not None:
            fetched = self._get(request)
            yield fetched
            request = self.pager.after(*fetched)

    # --- the seam --------------------------------------------------------------------------------------------

    def _progress(self) -> None:
        """The engine shows the records staged; the pages read go on the same line."""
        if isinstance(self.context.progress, ProgressLine):
            self.context.progress.detail(f"{self.pages:,} page{'s' if self.pages != 1 else ''}")

    def batches(self) -> Iterator[pa.RecordBatch]:
        if PREFETCH_BATCHES == 0:
            return self._batches()
        self.ahead = Ahead(self._batches(), PREFETCH_BATCHES)
        return iter(self.ahead)

    def _batches(self) -> Iterator[pa.RecordBatch]:
        gathered = _Gathered(self._where)
        yielded = False
        for request, response, page in self._fetched():
            self.pages += 1
            self.records += len(page.records)
            gathered.add(request, response, page.records)
            self._progress()
            if len(gathered.texts) >= BATCH_RECORDS or gathered.size >= BATCH_BYTES:
                yield gathered.batch()
                gathered, yielded = _Gathered(self._where), True
        self.pager.finish()
        if gathered.texts or not yielded:
            yield gathered.batch()
        self._note()

    def _where(self, request: PageRequest, response: httpx.Response) -> str:
        return f"page {request.number} ({self.source.method} {shown_url(response.url)})"

    def _note(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        note = (
            f"read {self.pages:,} page{'s' if self.pages != 1 else ''}, {self.records:,} records in {elapsed:.1f} s "
            f"({self.records / elapsed:,.0f} records/s)"
        )
        if self.concurrency > 1 and self.executor is not None:
            note += f", {self.concurrency} pages at a time"
        if self.fetcher.retries:
            note += f", {self.fetcher.retries} retried request{'s' if self.fetcher.retries != 1 else ''}"
        self.context.notes.append(note)

    def outcome(self) -> PullOutcome:
        return PullOutcome(complete=self.complete)

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.stop()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        self.sender.close()


def open_http_pull(context: PullContext, source: HttpSource) -> HttpPull:
    return HttpPull(context, source)
