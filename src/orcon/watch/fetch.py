"""A polite fetcher that hostile servers cannot hurt.

* robots.txt is honoured (fetched once per host, size-capped; a 4xx means
  "allowed", an error or 5xx means "not allowed").
* One request per host per ``min_interval`` seconds.
* Conditional requests (ETag / Last-Modified): a 304 costs nothing.
* Redirects are followed only within the same host, at most five.
* Bodies are read as a stream and cut at ``max_bytes`` *after* decompression,
  so a gzip bomb stops at the cap; an overall deadline stops servers that drip
  one byte at a time.
"""

from __future__ import annotations

import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from orcon import __version__
from orcon.errors import FetchRefused
from orcon.service.watching import Fetched

USER_AGENT = f"orcon-watch/{__version__} (leak watch; honours robots.txt)"


@dataclass
class Fetcher:
    max_bytes: int = 5 * 2**20
    deadline: float = 20.0
    min_interval: float = 1.0
    timeout: float = 10.0
    _client: httpx.Client = field(init=False, repr=False)
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(
        default_factory=dict, repr=False
    )
    _last: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=min(5.0, self.timeout)),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity"},
        )

    def close(self) -> None:
        self._client.close()

    def _pace(self, host: str) -> None:
        wait = self._last.get(host, 0.0) + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last[host] = time.monotonic()

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = parts.netloc
        if host not in self._robots:
            rp: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser()
            try:
                r = self._read(f"{parts.scheme}://{host}/robots.txt", {}, 100_000)
                if r.status >= 500:
                    rp = None
                elif r.status >= 400:
                    rp.parse([])  # type: ignore[union-attr]
                else:
                    rp.parse(r.body.decode("utf-8", "replace").splitlines())  # type: ignore[union-attr]
            except FetchRefused:
                rp = None
            self._robots[host] = rp
        rp = self._robots[host]
        return rp is not None and rp.can_fetch(USER_AGENT, url)

    def _read(self, url: str, headers: dict[str, str], cap: int) -> Fetched:
        host = urlsplit(url).netloc
        start = time.monotonic()
        for _ in range(6):
            self._pace(host)
            try:
                with self._client.stream("GET", url, headers=headers) as r:
                    if r.status_code in (301, 302, 303, 307, 308):
                        target = urljoin(url, r.headers.get("location", ""))
                        if urlsplit(target).netloc != host or urlsplit(target).scheme not in (
                            "http",
                            "https",
                        ):
                            raise FetchRefused(
                                f"{url} redirects to another host ({urlsplit(target).netloc})"
                            )
                        url = target
                        continue
                    body = bytearray()
                    for chunk in r.iter_bytes():
                        body += chunk
                        if len(body) > cap:
                            raise FetchRefused(f"{url} is larger than {cap} bytes")
                        if time.monotonic() - start > self.deadline:
                            raise FetchRefused(f"{url} took longer than {self.deadline:.0f} s")
                    return Fetched(
                        url,
                        r.status_code,
                        bytes(body),
                        r.headers.get("content-type", ""),
                        r.headers.get("etag"),
                        r.headers.get("last-modified"),
                    )
            except httpx.HTTPError as err:
                raise FetchRefused(f"{url}: {type(err).__name__}: {err}") from None
        raise FetchRefused(f"{url}: too many redirects")

    def get(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchRefused(f"only http and https URLs can be watched: {url}")
        if not self._allowed(url):
            raise FetchRefused(f"robots.txt does not allow fetching {url}")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        got = self._read(url, headers, max_bytes or self.max_bytes)
        if got.status >= 400:
            raise FetchRefused(f"{url} answered HTTP {got.status}")
        return got
