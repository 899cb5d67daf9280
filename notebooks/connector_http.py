"""HTTP for source connectors: JSON over HTTPS with the retries, rate limits and paging real APIs need.

Uploaded as a workspace file beside the entry notebooks; standard library only, so it runs unchanged on a
Databricks cluster and in local tests (which point it at a real HTTP server on loopback).

- Transient failures (5xx, timeouts, connection resets) are retried with exponential backoff.
- Rate limits are waited out: 429, or 403 with `X-RateLimit-Remaining: 0` or `Retry-After` (GitHub's primary
  and secondary limits), until `Retry-After` or `X-RateLimit-Reset` — unless that is longer than the policy
  allows, which fails the task clearly instead of holding the job's only run slot for an hour.
- Permanent failures (401, 403 without a rate limit, 404, other 4xx) fail at once with what the source said.
- Credentials go in headers only and never into an error message, log line or exception.
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')
_EXCERPT = 300  # characters of a source's error body kept in a message


class SourceError(Exception):
    """The source refused the request for good (bad credentials, no access, not found) or kept failing."""


@dataclass(frozen=True)
class HttpPolicy:
    attempts: int = 5  # tries per request, the first included
    backoff_seconds: float = 1.0  # first wait after a transient failure; doubles each time
    max_backoff_seconds: float = 60.0
    max_rate_limit_wait_seconds: float = 900.0  # longer waits fail the task (the job's retry comes later)
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any  # parsed JSON, or None for an empty body

    def next_link(self) -> str | None:
        """The URL of the next page from an RFC 8288 Link header (GitHub's paging), if any."""
        for url, rel in _LINK.findall(self.headers.get("link", "")):
            if rel == "next":
                return url
        return None


class SourceHttp:
    """GET requests to one source. `headers` carry the credentials; `sleep` and `clock` are injectable so
    tests can check the waits without waiting."""

    def __init__(self, base_url: str, headers: Mapping[str, str] | None = None, *, policy: HttpPolicy = HttpPolicy(),
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url {base_url!r} must start with https:// (or http:// for a local test server)")
        self.base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", "User-Agent": "appsec-connector-platform",
                         **(headers or {})}
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self.waits: list[tuple[str, float]] = []  # (reason, seconds): what a run spent waiting, for its log

    def set_header(self, name: str, value: str) -> None:
        """E.g. the bearer token a client-credentials grant returned."""
        self._headers[name] = value

    def url(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> str:
        absolute = path_or_url.startswith(("https://", "http://"))
        url = path_or_url if absolute else f"{self.base_url}/{path_or_url.lstrip('/')}"
        if params:
            query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None])
            url += ("&" if "?" in url else "?") + query
        return url

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Response:
        return self._request("GET", self.url(path_or_url, params))

    def post_form(self, path_or_url: str, form: Mapping[str, str], headers: Mapping[str, str] | None = None) -> Response:
        """A form POST (an OAuth token request), retried like a GET: token endpoints are idempotent."""
        data = urllib.parse.urlencode(sorted(form.items())).encode()
        return self._request("POST", self.url(path_or_url), data,
                             {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def _request(self, method: str, url: str, data: bytes | None = None,
                 headers: Mapping[str, str] | None = None) -> Response:
        backoff = self.policy.backoff_seconds
        for attempt in range(1, self.policy.attempts + 1):
            last = attempt == self.policy.attempts
            try:
                return self._once(method, url, data, headers)
            except urllib.error.HTTPError as error:
                response = _response(error.code, error.headers, error.read())
                wait = self._rate_limit_wait(response)
                if wait is not None:
                    if wait > self.policy.max_rate_limit_wait_seconds:
                        raise SourceError(f"{method} {_safe(url)}: rate limited for {wait:.0f} s, longer than the "
                                          f"{self.policy.max_rate_limit_wait_seconds:.0f} s this run may wait; "
                                          "the next scheduled run continues from the high water mark") from None
                    if last:
                        break
                    self._wait("rate limit", wait)
                    continue
                if response.status >= 500 and not last:
                    self._wait(f"HTTP {response.status}", backoff)
                    backoff = min(backoff * 2, self.policy.max_backoff_seconds)
                    continue
                raise SourceError(_refusal(method, url, response)) from None
            except (TimeoutError, ConnectionError, urllib.error.URLError) as error:
                if last:
                    raise SourceError(f"{method} {_safe(url)}: {_reason(error)} on all {self.policy.attempts} attempts") from error
                self._wait(_reason(error), backoff)
                backoff = min(backoff * 2, self.policy.max_backoff_seconds)
        raise SourceError(f"{method} {_safe(url)}: still rate limited after {self.policy.attempts} attempts")

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Response]:
        """Every page of a Link-header paged collection, first to last."""
        url: str | None = self.url(path, params)
        while url is not None:
            response = self.get(url)
            yield response
            url = response.next_link()

    def _once(self, method: str, url: str, data: bytes | None, headers: Mapping[str, str] | None) -> Response:
        request = urllib.request.Request(url, data=data, headers={**self._headers, **(headers or {})}, method=method)
        with urllib.request.urlopen(request, timeout=self.policy.timeout_seconds) as raw:
            return _response(raw.status, raw.headers, raw.read())

    def _rate_limit_wait(self, response: Response) -> float | None:
        """Seconds to wait when the response is a rate limit, else None."""
        headers = response.headers
        limited = response.status == 429 or (response.status == 403 and (
            headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers))
        if not limited:
            return None
        retry_after = headers.get("retry-after")
        if retry_after:
            if retry_after.strip().isdigit():
                return float(retry_after)
            when = email.utils.parsedate_to_datetime(retry_after)
            return max(0.0, when.timestamp() - self._clock())
        reset = headers.get("x-ratelimit-reset")
        if reset and reset.strip().isdigit():
            return max(0.0, float(reset) - self._clock()) + 1.0  # the reset second itself may still be limited
        return 60.0  # limited, but not told for how long: GitHub's advice for secondary limits

    def _wait(self, reason: str, seconds: float) -> None:
        self.waits.append((reason, seconds))
        self._sleep(seconds)


def _response(status: int, headers: Any, raw: bytes) -> Response:
    names = {key.lower(): value for key, value in headers.items()} if headers is not None else {}
    text = raw.decode("utf-8", errors="replace") if raw else ""
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = text
    return Response(status, names, body)


def _refusal(method: str, url: str, response: Response) -> str:
    said = response.body
    if isinstance(said, dict):  # GitHub: message; SonarQube: errors[].msg; OAuth: error_description
        errors = said.get("errors")
        said = (said.get("message") or said.get("error_description") or said.get("error")
                or ("; ".join(str(e.get("msg", e)) for e in errors if isinstance(e, dict)) if isinstance(errors, list) else None)
                or "")
    said = str(said or "")[:_EXCERPT]
    hint = {401: "the credentials were refused: check the secret in the scope",
            403: "the credentials lack access to this resource",
            404: "not found: check the connector's settings (URL, organisation, project)"}.get(
        response.status, "the source refused the request")
    return f"{method} {_safe(url)}: HTTP {response.status}, {hint}" + (f" (source said: {said!r})" if said else "")


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, (TimeoutError, socket.timeout)):
        return "timed out"
    return f"{type(error).__name__}: {error}"


def _safe(url: str) -> str:
    """The URL without a query string's values that could carry a token (api keys in queries exist)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    redacted = [(k, "REDACTED" if re.search(r"(?i)token|key|secret|password|auth", k) else v) for k, v in query]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(redacted)))
