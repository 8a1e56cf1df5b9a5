"""In-process emulator of the GigaChat REST API for tests.

The emulator is an aiohttp server bound to 127.0.0.1 that answers the requests the real
``gigachat`` SDK sends (OAuth, chat completions, models, token counting, balance).  It records
every request, tracks how many requests were in flight at once and can be scripted with faults,
latency and canned chat answers.

It counts like the real service: prompt tokens include the ``functions`` definitions of the request;
a request with an ``X-Session-ID`` header reports ``usage.precached_prompt_tokens`` for the prefix
(functions first, then messages, in whole units) it shares with an earlier answered request of the
same session and model. Every answer carries an ``x-request-id`` header (the client's
``X-Request-ID`` or a fresh uuid4), and models listed in ``no_function_models`` answer 422 to a
request with functions.

Typical use::

    async with GigaChatEmulator() as emu:
        emu.reply(content="Привет")
        client = GigaChat(base_url=emu.base_url, auth_url=emu.auth_url, credentials=key, ...)
        await client.achat("hi")
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import inspect
import json
import math
import secrets
import ssl
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

from aiohttp import web

if TYPE_CHECKING:
    import trustme

__all__ = [
    "DEFAULT_BALANCE",
    "DEFAULT_MODELS",
    "DEFAULT_TEXT_ANSWER",
    "ENDPOINTS",
    "OAUTH_ERRORS",
    "VALID_SCOPES",
    "ChatReply",
    "Fault",
    "GigaChatEmulator",
    "RecordedRequest",
    "Responder",
    "ResponderResult",
    "estimate_tokens",
    "example_from_schema",
    "tls_server_context",
]

_T = TypeVar("_T")

API_PREFIX: Final = "/api/v1"
OAUTH_PATH: Final = "/api/v2/oauth"

ENDPOINTS: Final[tuple[str, ...]] = ("oauth", "chat", "models", "tokens", "balance", "other")
_SCRIPTABLE: Final[frozenset[str]] = frozenset({"oauth", "chat", "models", "tokens", "balance", "*"})

VALID_SCOPES: Final[frozenset[str]] = frozenset({"GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"})

DEFAULT_MODELS: Final[tuple[tuple[str, str], ...]] = (
    ("GigaChat", "chat"),
    ("GigaChat-Pro", "chat"),
    ("GigaChat-Max", "chat"),
    ("GigaChat-2", "chat"),
    ("GigaChat-2-Pro", "chat"),
    ("GigaChat-2-Max", "chat"),
    ("Embeddings", "embedder"),
)

DEFAULT_BALANCE: Final[tuple[tuple[str, float], ...]] = (
    ("GigaChat", 50000),
    ("GigaChat-Pro", 10000),
    ("GigaChat-Max", 10000),
    ("embeddings", 1000000),
)

DEFAULT_TEXT_ANSWER: Final = "Работает."

# OAuth error code -> (HTTP status, message), as the real OAuth server answers.
OAUTH_ERRORS: Final[Mapping[int, tuple[int, str]]] = {
    1: (400, "scope data format invalid"),
    4: (400, "Can't decode 'Authorization' header"),
    5: (400, "scope is empty"),
    6: (401, "credentials doesn't match db data"),
    7: (400, "scope from db not fully includes consumed scope"),
}

# Default OAuth error code for a scripted OAuth fault with a given HTTP status.
_OAUTH_CODE_FOR_STATUS: Final[Mapping[int, int]] = {400: 1, 401: 6}

_API_MESSAGES: Final[Mapping[int, str]] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Permission denied",
    404: "Not found",
    413: "Payload too large",
    422: "Unprocessable entity",
    429: "Too many requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class RecordedRequest:
    """One HTTP request seen by the emulator."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any  # the parsed JSON body (None when there was none)
    form: dict[str, str] | None
    started: float  # time.monotonic() when the handler started
    finished: float | None  # time.monotonic() when the handler finished (None while in flight)
    status: int | None  # HTTP status answered (None while in flight or if the client went away)
    endpoint: str  # "oauth" | "chat" | "models" | "tokens" | "balance" | "other"
    request_id: str | None = None  # the x-request-id answered (the client's X-Request-ID or a fresh uuid4)
    session_id: str | None = None  # the client's X-Session-ID, if any
    usage: dict[str, int] | None = None  # the usage of an answered chat request

    @property
    def duration(self) -> float | None:
        """Seconds the handler spent on the request, or None if it has not finished."""
        return None if self.finished is None else self.finished - self.started


@dataclass
class Fault:
    """A scripted error answer: JSON ``body`` with ``status`` and ``headers`` after ``delay`` seconds."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    delay: float = 0.0


@dataclass
class ChatReply:
    """An answer of the chat completion endpoint."""

    content: str = ""
    function_call: dict[str, Any] | None = None  # {"name": ..., "arguments": {...}}
    finish_reason: str = "stop"


ResponderResult = ChatReply | Fault
Responder = Callable[[dict[str, Any]], ResponderResult | Awaitable[ResponderResult]]


@dataclass
class _Scripted:
    endpoint: str
    fault: Fault
    slow_only: bool = False  # True: only delay, then answer normally


class _HeaderDict(dict[str, str]):
    """A plain dict of headers with lower-case keys and case-insensitive lookup."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    @overload
    def get(self, key: str, default: None = None, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: _T, /) -> str | _T: ...
    def get(self, key: str, default: object = None, /) -> object:
        return super().get(key.lower(), default)


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def estimate_tokens(text: str) -> int:
    """Deterministic token estimate used for ``usage`` and ``/tokens/count``."""
    return len(text) // 4 + 1


def _api_error_body(status: int, message: str | None = None) -> dict[str, Any]:
    if message is None:
        message = _API_MESSAGES.get(status)
    if message is None:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "Error"
    return {"status": status, "message": message}


def _oauth_error_body(code: int) -> dict[str, Any]:
    return {"code": code, "message": OAUTH_ERRORS[code][1]}


def _default_fault_body(endpoint: str, status: int) -> dict[str, Any]:
    if endpoint == "oauth":
        code = _OAUTH_CODE_FOR_STATUS.get(status)
        if code is not None:
            return _oauth_error_body(code)
        return {"code": status, "message": _api_error_body(status)["message"]}
    if endpoint == "chat" and status == 404:
        return _api_error_body(404, "No such model")
    return _api_error_body(status)


def _fault_response(endpoint: str, fault: Fault) -> web.Response:
    body = fault.body if fault.body is not None else _default_fault_body(endpoint, fault.status)
    return web.json_response(body, status=fault.status, headers=fault.headers or None)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g}"


def _json_type(schema: Mapping[str, Any]) -> str | None:
    type_ = schema.get("type")
    if isinstance(type_, list):
        non_null = [t for t in type_ if t != "null"]
        type_ = non_null[0] if non_null else "null"
    if isinstance(type_, str):
        return type_
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def _clamp_number(schema: Mapping[str, Any], *, integer: bool) -> float:
    """``minimum`` (or 0) clamped into the schema's bounds (exclusive bounds respected)."""
    low: float | None = None
    high: float | None = None
    if isinstance(schema.get("minimum"), int | float):
        low = math.ceil(schema["minimum"]) if integer else schema["minimum"]
    elif isinstance(schema.get("exclusiveMinimum"), int | float):
        bound = schema["exclusiveMinimum"]
        low = math.floor(bound) + 1 if integer else bound + 1
    if isinstance(schema.get("maximum"), int | float):
        high = math.floor(schema["maximum"]) if integer else schema["maximum"]
    elif isinstance(schema.get("exclusiveMaximum"), int | float):
        bound = schema["exclusiveMaximum"]
        high = math.ceil(bound) - 1 if integer else bound - 1
    value: float = 0 if low is None else low
    if high is not None and value > high:
        value = high
        if low is not None and value < low and not integer:
            value = (low + high) / 2
    return value


def example_from_schema(schema: Mapping[str, Any]) -> Any:
    """Build a deterministic value that conforms to a (simple) JSON schema.

    string -> "тест" (or the first enum value), integer/number -> minimum or 0 clamped into
    minimum/maximum, boolean -> False, array -> [] (or ``minItems`` generated items),
    object -> every property generated recursively.
    """
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if "const" in schema:
        return schema["const"]
    type_ = _json_type(schema)
    if type_ == "object":
        properties = schema.get("properties")
        if not isinstance(properties, Mapping):
            return {}
        return {
            str(name): example_from_schema(sub if isinstance(sub, Mapping) else {}) for name, sub in properties.items()
        }
    if type_ == "array":
        min_items = schema.get("minItems")
        items = schema.get("items")
        if isinstance(min_items, int) and min_items >= 1:
            item_schema: Mapping[str, Any] = items if isinstance(items, Mapping) else {}
            return [example_from_schema(item_schema) for _ in range(min_items)]
        return []
    if type_ == "integer":
        return int(_clamp_number(schema, integer=True))
    if type_ == "number":
        return float(_clamp_number(schema, integer=False))
    if type_ == "boolean":
        return False
    if type_ == "null":
        return None
    # string (and anything unknown)
    fmt = schema.get("format")
    if fmt == "date":
        text = "2024-01-01"
    elif fmt == "date-time":
        text = "2024-01-01T00:00:00Z"
    else:
        text = "тест"
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(text) < min_length:
        text = (text * (min_length // len(text) + 1))[:min_length]
    if isinstance(max_length, int) and len(text) > max_length:
        text = text[: max(max_length, 0)]
    return text


def _find_object_without_properties(schema: Any, where: str) -> str | None:
    """Return the location of the first ``object`` schema lacking ``properties``, if any."""
    if not isinstance(schema, Mapping):
        return None
    type_ = schema.get("type")
    is_object = type_ == "object" or (isinstance(type_, list) and "object" in type_)
    properties = schema.get("properties")
    if is_object and not isinstance(properties, Mapping):
        return where
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            found = _find_object_without_properties(sub, f"{where}.properties.{name}")
            if found is not None:
                return found
    items = schema.get("items")
    if items is not None:
        return _find_object_without_properties(items, f"{where}.items")
    return None


def _check_function_call(function_call: Mapping[str, Any]) -> dict[str, Any]:
    name = function_call.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("function_call must have a non-empty 'name'")
    arguments = function_call.get("arguments", {})
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ValueError("function_call 'arguments' must be a dict (the API sends a JSON object)")
    return {"name": name, "arguments": arguments}


def tls_server_context(ca: trustme.CA) -> ssl.SSLContext:
    """Server TLS context with a certificate for 127.0.0.1/localhost signed by ``ca``."""
    import trustme  # noqa: F401  (lazy: only TLS tests need it)

    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


class GigaChatEmulator:
    """aiohttp server emulating the GigaChat REST API (see module docstring)."""

    def __init__(
        self,
        *,
        models: Sequence[tuple[str, str]] | None = None,
        valid_keys: dict[str, str] | None = None,
        token_ttl_s: float = 1800.0,
        expires_in_seconds: bool = False,
        postpaid: bool = False,
        balance: Sequence[tuple[str, float]] | None = None,
        latency: float = 0.0,
        ssl_context: ssl.SSLContext | None = None,
        no_function_models: Collection[str] = (),
    ) -> None:
        self.models: list[tuple[str, str]] = list(DEFAULT_MODELS if models is None else models)
        # Chat models that answer 422 to a request with functions (added to ``models`` when missing).
        self.no_function_models: frozenset[str] = frozenset(no_function_models)
        known = self._model_ids()
        self.models += [(model_id, "chat") for model_id in sorted(self.no_function_models) if model_id not in known]
        self.valid_keys = valid_keys
        self.token_ttl_s = token_ttl_s
        self.expires_in_seconds = expires_in_seconds
        self.postpaid = postpaid
        self.balance: list[tuple[str, float]] = list(DEFAULT_BALANCE if balance is None else balance)
        self.latency = latency
        self.ssl_context = ssl_context

        self.requests: list[RecordedRequest] = []
        self.request_ids: list[str] = []  # x-request-id of every answer, in order
        self.in_flight = 0
        self.in_flight_total = 0
        self.max_in_flight = 0
        self.max_in_flight_total = 0
        self.responder: Responder | None = None
        self.responder_errors: list[BaseException] = []

        self._tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self._script: list[_Scripted] = []
        self._replies: deque[ChatReply] = deque()
        self._session_prefixes: dict[str, set[bytes]] = {}  # session id -> digests of answered prompt prefixes
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> GigaChatEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator is not started")
        return self._port

    @property
    def origin(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def auth_url(self) -> str:
        return self.origin + OAUTH_PATH

    # ------------------------------------------------------------------ inspection

    def calls(self, endpoint: str) -> list[RecordedRequest]:
        """Recorded requests of one endpoint ("*" = every non-OAuth request)."""
        if endpoint == "*":
            return [r for r in self.requests if r.endpoint != "oauth"]
        return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def failed_request_ids(self) -> list[str]:
        """x-request-id of the recorded requests answered with an HTTP error (status >= 400), in order."""
        return [r.request_id for r in self.requests if (r.status or 0) >= 400 and r.request_id is not None]

    @property
    def issued_tokens(self) -> list[str]:
        """Tokens issued so far that are still valid."""
        now = time.time()
        return [token for token, expiry in self._tokens.items() if expiry > now]

    def reset_records(self) -> None:
        """Forget recorded requests, issued request ids and in-flight peaks (scripts, tokens, caches are kept)."""
        self.requests.clear()
        self.request_ids.clear()
        self.max_in_flight = self.in_flight
        self.max_in_flight_total = self.in_flight_total

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        endpoint: str,
        status: int,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Queue ``times`` error answers for ``endpoint`` ("*" = any non-OAuth endpoint)."""
        self._check_endpoint(endpoint)
        if body is None:
            body = _default_fault_body(endpoint, status)
        for _ in range(times):
            fault = Fault(status=status, body=dict(body), headers=dict(headers or {}), delay=delay)
            self._script.append(_Scripted(endpoint, fault))

    def oauth_error(self, code: int, times: int = 1) -> None:
        """Queue OAuth errors with a real OAuth error code (6 -> 401; 7, 4, 5, 1 -> 400)."""
        if code not in OAUTH_ERRORS:
            raise ValueError(f"unknown OAuth error code {code}; known: {sorted(OAUTH_ERRORS)}")
        status, _ = OAUTH_ERRORS[code]
        self.fail("oauth", status, body=_oauth_error_body(code), times=times)

    def rate_limit(self, endpoint: str = "chat", *, retry_after: float = 1.0, times: int = 1) -> None:
        """Queue 429 answers carrying a ``Retry-After`` header."""
        self.fail(endpoint, 429, headers={"Retry-After": _format_seconds(retry_after)}, times=times)

    def slow(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` requests of ``endpoint`` by ``seconds``, then answer normally."""
        self._check_endpoint(endpoint)
        for _ in range(times):
            self._script.append(_Scripted(endpoint, Fault(status=0, delay=seconds), slow_only=True))

    def clear_script(self) -> None:
        """Drop every queued fault, delay and canned reply."""
        self._script.clear()
        self._replies.clear()

    def clear_prefix_cache(self) -> None:
        """Forget every session's cached prompt prefixes."""
        self._session_prefixes.clear()

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the API answers 401 until the client re-auths)."""
        self._tokens.clear()

    def reply(
        self,
        *,
        content: str | None = None,
        function_call: dict[str, Any] | None = None,
        finish_reason: str | None = None,
        times: int = 1,
    ) -> None:
        """Queue canned chat answers, used FIFO before the responder/default behaviour."""
        fc = _check_function_call(function_call) if function_call is not None else None
        if finish_reason is None:
            finish_reason = "function_call" if fc is not None else "stop"
        for _ in range(times):
            self._replies.append(
                ChatReply(
                    content=content or "",
                    function_call=None if fc is None else {"name": fc["name"], "arguments": fc["arguments"]},
                    finish_reason=finish_reason,
                )
            )

    @staticmethod
    def _check_endpoint(endpoint: str) -> None:
        if endpoint not in _SCRIPTABLE:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {sorted(_SCRIPTABLE)}")

    def _pop_script(self, endpoint: str) -> _Scripted | None:
        for index, item in enumerate(self._script):
            if item.endpoint == endpoint or (item.endpoint == "*" and endpoint not in ("oauth", "other")):
                return self._script.pop(index)
        return None

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    def _classify(method: str, path: str) -> str:
        if path == OAUTH_PATH and method == "POST":
            return "oauth"
        if path == f"{API_PREFIX}/chat/completions" and method == "POST":
            return "chat"
        if (path == f"{API_PREFIX}/models" or path.startswith(f"{API_PREFIX}/models/")) and method == "GET":
            return "models"
        if path == f"{API_PREFIX}/tokens/count" and method == "POST":
            return "tokens"
        if path == f"{API_PREFIX}/balance" and method == "GET":
            return "balance"
        return "other"

    async def _record(self, request: web.Request, endpoint: str) -> RecordedRequest:
        started = time.monotonic()
        headers = _HeaderDict()
        for key, value in request.headers.items():
            headers[key.lower()] = value
        payload: Any | None = None
        form: dict[str, str] | None = None
        raw = await request.read() if request.can_read_body else b""
        if raw:
            content_type = request.content_type
            if content_type == "application/x-www-form-urlencoded":
                form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
            else:
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=headers,
            json=payload,
            form=form,
            started=started,
            finished=None,
            status=None,
            endpoint=endpoint,
            request_id=headers.get("x-request-id") or str(uuid.uuid4()),
            session_id=headers.get("x-session-id") or None,
        )
        self.requests.append(recorded)
        return recorded

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        endpoint = self._classify(request.method, request.path)
        is_api = endpoint != "oauth"
        self.in_flight_total += 1
        self.max_in_flight_total = max(self.max_in_flight_total, self.in_flight_total)
        if is_api:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        recorded: RecordedRequest | None = None
        try:
            recorded = await self._record(request, endpoint)
            response = await self._respond(request, endpoint, recorded)
            if "x-request-id" not in response.headers:
                response.headers["x-request-id"] = recorded.request_id or str(uuid.uuid4())
            if recorded.session_id is not None and "x-session-id" not in response.headers:
                response.headers["x-session-id"] = recorded.session_id
            recorded.request_id = response.headers["x-request-id"]
            self.request_ids.append(recorded.request_id)
            recorded.status = response.status
            return response
        finally:
            if recorded is not None:
                recorded.finished = time.monotonic()
            self.in_flight_total -= 1
            if is_api:
                self.in_flight -= 1

    async def _respond(self, request: web.Request, endpoint: str, recorded: RecordedRequest) -> web.Response:
        scripted = self._pop_script(endpoint)
        if scripted is not None:
            if scripted.fault.delay > 0:
                await asyncio.sleep(scripted.fault.delay)
            if not scripted.slow_only:
                return _fault_response(endpoint, scripted.fault)

        if endpoint == "oauth":
            return self._oauth(recorded)
        if endpoint == "other":
            return web.json_response(_api_error_body(404), status=404)
        if not self._authorized(recorded):
            return web.json_response(_api_error_body(401, "Unauthorized"), status=401)
        try:
            if endpoint == "chat":
                return await self._chat(recorded)
            if endpoint == "models":
                return self._models(request)
            if endpoint == "tokens":
                return self._tokens_count(recorded)
            return self._balance()
        except _ApiError as error:
            return web.json_response(_api_error_body(error.status, error.message), status=error.status)

    # ------------------------------------------------------------------ OAuth

    def _oauth(self, recorded: RecordedRequest) -> web.Response:
        code = self._oauth_error_code(recorded)
        if code is not None:
            status, _ = OAUTH_ERRORS[code]
            return web.json_response(_oauth_error_body(code), status=status)
        token = secrets.token_urlsafe(48)
        now = time.time()
        expiry = now + self.token_ttl_s
        self._tokens[token] = expiry
        expires_at = int(expiry) if self.expires_in_seconds else int(expiry * 1000)
        return web.json_response({"access_token": token, "expires_at": expires_at})

    def _oauth_error_code(self, recorded: RecordedRequest) -> int | None:
        authorization = recorded.headers.get("authorization", "")
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "basic" or not key:
            return 4
        try:
            base64.b64decode(key, validate=True)
        except (ValueError, binascii.Error):
            return 4
        scope = (recorded.form or {}).get("scope", "").strip()
        if not scope:
            return 5
        if scope not in VALID_SCOPES:
            return 1
        if self.valid_keys is not None:
            if key not in self.valid_keys:
                return 6
            if self.valid_keys[key] != scope:
                return 7
        return None

    def _authorized(self, recorded: RecordedRequest) -> bool:
        scheme, _, token = recorded.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        expiry = self._tokens.get(token.strip())
        return expiry is not None and expiry > time.time()

    # ------------------------------------------------------------------ API endpoints

    def _model_ids(self) -> set[str]:
        return {model_id for model_id, _ in self.models}

    def _models(self, request: web.Request) -> web.Response:
        entries = [
            {"id": model_id, "object": "model", "owned_by": "salutedevices", "type": model_type}
            for model_id, model_type in self.models
        ]
        prefix = f"{API_PREFIX}/models/"
        if request.path.startswith(prefix):
            wanted = request.path[len(prefix) :]
            for entry in entries:
                if entry["id"] == wanted:
                    return web.json_response(entry)
            raise _ApiError(404, "No such model")
        return web.json_response({"object": "list", "data": entries})

    def _balance(self) -> web.Response:
        if self.postpaid:
            raise _ApiError(403, "Permission denied")
        return web.json_response({"balance": [{"usage": usage, "value": value} for usage, value in self.balance]})

    def _tokens_count(self, recorded: RecordedRequest) -> web.Response:
        body = recorded.json
        if not isinstance(body, dict):
            raise _ApiError(400, "Invalid JSON body")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _ApiError(422, "model is required")
        if model not in self._model_ids():
            raise _ApiError(404, "No such model")
        texts = body.get("input")
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise _ApiError(422, "input must be a list of strings")
        return web.json_response(
            [{"object": "tokens", "tokens": estimate_tokens(text), "characters": len(text)} for text in texts]
        )

    async def _chat(self, recorded: RecordedRequest) -> web.Response:
        body = recorded.json
        if not isinstance(body, dict):
            raise _ApiError(400, "Invalid JSON body")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _ApiError(422, "model is required")
        if model not in self._model_ids():
            raise _ApiError(404, "No such model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise _ApiError(422, "messages must be a non-empty list")
        functions = body.get("functions")
        if functions is not None:
            self._validate_functions(functions)
            if functions and model in self.no_function_models:
                raise _ApiError(422, f"Model {model} does not support functions")

        if self.latency > 0:
            await asyncio.sleep(self.latency)

        answer = await self._next_reply(body)
        if isinstance(answer, Fault):
            if answer.delay > 0:
                await asyncio.sleep(answer.delay)
            return _fault_response("chat", answer)

        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        completion_text = answer.content
        if answer.function_call is not None:
            fc = _check_function_call(answer.function_call)
            message["function_call"] = fc
            message["functions_state_id"] = str(uuid.uuid4())
            completion_text += json.dumps(fc, ensure_ascii=False)
        units = self._prompt_units(model, functions, messages)
        prompt_tokens = sum(tokens for _, tokens in units)
        completion_tokens = estimate_tokens(completion_text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if recorded.session_id is not None:
            usage["precached_prompt_tokens"] = self._cache_prefixes(recorded.session_id, units)
        recorded.usage = dict(usage)
        return web.json_response(
            {
                "choices": [{"message": message, "index": 0, "finish_reason": answer.finish_reason}],
                "created": int(time.time()),
                "model": model,
                "object": "chat.completion",
                "usage": usage,
            }
        )

    @classmethod
    def _prompt_units(cls, model: str, functions: Any, messages: list[Any]) -> list[tuple[bytes, int]]:
        """(digest of the prompt up to and including this unit, tokens of the unit): functions, then messages.

        The digests chain (each covers the model and every unit before it), so equal digests mean
        equal prefixes.
        """
        texts: list[tuple[str, int]] = []
        if functions:
            definition = json.dumps(functions, ensure_ascii=False)
            texts.append((definition, estimate_tokens(definition)))
        for message in messages:
            key = json.dumps(message, ensure_ascii=False, sort_keys=True)
            texts.append((key, estimate_tokens(cls._message_text(message))))
        digest = hashlib.sha256(model.encode()).digest()
        units: list[tuple[bytes, int]] = []
        for text, tokens in texts:
            digest = hashlib.sha256(digest + text.encode()).digest()
            units.append((digest, tokens))
        return units

    def _cache_prefixes(self, session_id: str, units: list[tuple[bytes, int]]) -> int:
        """Tokens of the longest prefix shared with an earlier answered request of the session; remember this one."""
        seen = self._session_prefixes.setdefault(session_id, set())
        precached = 0
        for digest, tokens in units:
            if digest not in seen:
                break
            precached += tokens
        seen.update(digest for digest, _ in units)
        return precached

    @staticmethod
    def _message_text(message: Any) -> str:
        if not isinstance(message, dict):
            return ""
        text = message.get("content")
        result = text if isinstance(text, str) else ""
        function_call = message.get("function_call")
        if function_call is not None:
            result += json.dumps(function_call, ensure_ascii=False)
        return result

    @staticmethod
    def _validate_functions(functions: Any) -> None:
        if not isinstance(functions, list):
            raise _ApiError(422, "functions must be a list")
        for function in functions:
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise _ApiError(422, "every function must have a name")
            parameters = function.get("parameters")
            if parameters is None:
                continue
            where = _find_object_without_properties(parameters, "parameters")
            if where is not None:
                raise _ApiError(
                    422,
                    f"Invalid function '{function['name']}': object schema at '{where}' must define 'properties'",
                )

    async def _next_reply(self, body: dict[str, Any]) -> ResponderResult:
        if self._replies:
            return self._replies.popleft()
        if self.responder is not None:
            try:
                result = self.responder(body)
                if inspect.isawaitable(result):
                    result = await result
            except Exception as error:
                self.responder_errors.append(error)
                raise _ApiError(500, f"responder failed: {error!r}") from error
            if not isinstance(result, ChatReply | Fault):
                type_error = TypeError(f"responder returned {type(result).__name__}, expected ChatReply or Fault")
                self.responder_errors.append(type_error)
                raise _ApiError(500, str(type_error))
            if isinstance(result, ChatReply) and result.function_call is not None:
                try:
                    _check_function_call(result.function_call)
                except ValueError as error:
                    self.responder_errors.append(error)
                    raise _ApiError(500, f"responder returned a bad function_call: {error}") from error
            return result
        return self._default_reply(body)

    @staticmethod
    def _default_reply(body: dict[str, Any]) -> ChatReply:
        function_call = body.get("function_call")
        functions = body.get("functions")
        if isinstance(function_call, dict) and isinstance(functions, list):
            name = function_call.get("name")
            for function in functions:
                if isinstance(function, dict) and function.get("name") == name:
                    parameters = function.get("parameters")
                    arguments = example_from_schema(parameters) if isinstance(parameters, dict) else {}
                    if not isinstance(arguments, dict):
                        arguments = {}
                    return ChatReply(
                        content="",
                        function_call={"name": name, "arguments": arguments},
                        finish_reason="function_call",
                    )
        return ChatReply(content=DEFAULT_TEXT_ANSWER, finish_reason="stop")
