"""Litestar adapter for the authorization server, shaped like Authlib's Flask integration.

The overrides are the ones `authlib/integrations/flask_oauth2/authorization_server.py` makes:
`create_oauth2_request`, `create_json_request`, `handle_response`, `send_signal`. Handlers read
the request body asynchronously into an `OAuthCall`, then run Authlib (synchronous, database
bound) in a worker thread.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    JsonPayload,
    JsonRequest,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
)
from litestar import Request, Response

from consent.oauth.server import ConsentAuthorizationServer
from consent.strict_json import DuplicateKey, is_json_media_type, refuse_duplicate_keys

T = TypeVar("T")
# Authlib refuses plain-http request URLs unless a process-wide variable is set. Transport is
# the deployment's business here: TLS usually ends at a proxy, so the URL the app sees proves
# nothing, and the issuer (PDS_PUBLIC_URL) must be https in production (`pds doctor` checks).
# Authlib's check is therefore given a stand-in, and the real URI is stored afterwards.
_SECURE_STAND_IN = "https://issuer.invalid/"


@dataclass(frozen=True)
class OAuthCall:
    """The parts of an HTTP request the authorization server reads."""

    method: str
    uri: str
    headers: Mapping[str, str]
    params: dict[str, list[str]] = field(default_factory=dict)
    json_body: Any = None
    # Why a JSON body is not one usable object, in our words (None when it is): refused, after
    # the caller is authenticated, as invalid client metadata.
    body_problem: str | None = None

    def repeats_a_parameter(self) -> bool:
        return any(len(values) > 1 for values in self.params.values())

    def mixes_client_authentication(self) -> bool:
        """HTTP Basic and a secret or assertion in the body at once (RFC 6749 §2.3: a client
        MUST NOT use more than one authentication method in each request)."""
        basic = self.headers.get("authorization", "")[:6].lower() == "basic "
        return basic and any(key in self.params for key in ("client_secret", "client_assertion"))


class CallPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, params: dict[str, list[str]]) -> None:
        self._params = params

    @property
    def data(self) -> dict[str, str]:
        return {key: values[0] for key, values in self._params.items() if values}

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return defaultdict(list, self._params)


class LitestarOAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, call: OAuthCall) -> None:
        super().__init__(call.method, _SECURE_STAND_IN, headers=call.headers)
        self.uri = call.uri
        self.payload = CallPayload(call.params)

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data)


class CallJsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, body: Any, problem: str | None) -> None:
        self._body = body if isinstance(body, dict) else {}
        self.problem = problem

    @property
    def data(self) -> dict[str, Any]:
        return self._body


class OAuthResponse(Response[Any]):
    """A response whose `location` Authlib's RFC 9207 extension can read and rewrite."""

    @property
    def location(self) -> str | None:
        value = self.headers.get("Location")
        return None if value is None else str(value)

    @location.setter
    def location(self, value: str) -> None:
        self.headers["Location"] = value


class LitestarAuthorizationServer(ConsentAuthorizationServer):
    def create_oauth2_request(self, request: OAuthCall | OAuth2Request) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return LitestarOAuth2Request(request)

    def create_json_request(self, request: OAuthCall) -> JsonRequest:
        json_request = JsonRequest(request.method, request.uri, request.headers)
        json_request.payload = CallJsonPayload(request.json_body, request.body_problem)
        return json_request

    def handle_response(
        self, status_code: int, payload: Any, headers: list[tuple[str, str]]
    ) -> OAuthResponse:
        content = payload if isinstance(payload, dict) else (payload or b"")
        media_type = "application/json" if isinstance(payload, dict) else "text/plain"
        response_headers = dict(headers)
        response_headers.setdefault("Cache-Control", "no-store")
        return OAuthResponse(
            content, status_code=status_code, headers=response_headers, media_type=media_type
        )

    def error_response(self, error: OAuth2Error, call: OAuthCall | None = None) -> OAuthResponse:
        request = None if call is None else self.create_oauth2_request(call)
        response: OAuthResponse = self.handle_error_response(request, error)
        return response

    def authorization_error_response(self, error: OAuth2Error) -> OAuthResponse | None:
        """The redirect for an authorization error, with `iss`; None when we may not redirect.

        Authlib sets `redirect_uri` on an error only once the client and its redirect URI are
        known to match; any other error must be shown to the person, never redirected.
        """
        if not error.redirect_uri:
            return None
        response = self.error_response(error)
        self.execute_hook("after_create_authorization_response", response)
        return response


def _params(items: Any) -> dict[str, list[str]]:
    params: dict[str, list[str]] = defaultdict(list)
    for key, value in items:
        if isinstance(value, str):
            params[key].append(value)
    return dict(params)


def query_call(request: Request[Any, Any, Any], issuer: str) -> OAuthCall:
    """The OAuth parameters of a request's query string (the authorization endpoint)."""
    return OAuthCall(
        method="GET",
        uri=_uri(request, issuer),
        headers=request.headers,
        params=_params(request.query_params.multi_items()),
    )


async def form_call(request: Request[Any, Any, Any], issuer: str) -> OAuthCall:
    """The OAuth parameters of a form-encoded POST (token, revocation, introspection)."""
    form = await request.form()
    return OAuthCall("POST", _uri(request, issuer), request.headers, _params(form.multi_items()))


# RFC 7591 §2's client metadata names: an error may name one of these, never a name the client
# made up (a description names the parameter at fault, never repeats the client's input).
_STANDARD_METADATA = frozenset(
    {
        "redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types",
        "client_name", "client_uri", "logo_uri", "scope", "contacts", "tos_uri", "policy_uri",
        "jwks_uri", "jwks", "software_id", "software_version", "software_statement",
    }
)  # fmt: skip
_NOT_AN_OBJECT = "The metadata must be one JSON object."
_NOT_JSON = "The metadata must be sent as application/json (RFC 7591 section 3.1)."


async def json_call(request: Request[Any, Any, Any], issuer: str) -> OAuthCall:
    """A JSON POST (registration), with what is wrong with its body, if anything."""
    uri, body, problem = _uri(request, issuer), None, None
    if not is_json_media_type(request.content_type[0]):
        problem = _NOT_JSON
    else:
        try:
            body = json.loads(await request.body(), object_pairs_hook=refuse_duplicate_keys)
        except DuplicateKey as exc:
            shown = exc.key if exc.key in _STANDARD_METADATA else "a member"
            problem = f"The metadata names {shown} twice."
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deeply
            problem = _NOT_AN_OBJECT
        if problem is None and not isinstance(body, dict):
            problem = _NOT_AN_OBJECT
    return OAuthCall("POST", uri, request.headers, json_body=body, body_problem=problem)


def _uri(request: Request[Any, Any, Any], issuer: str) -> str:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return issuer + request.url.path + (f"?{query}" if query else "")


async def run_authlib(
    server: LitestarAuthorizationServer, run: Callable[[], OAuthResponse | None]
) -> OAuthResponse:
    """Run an Authlib call as blocking database work (`Transactions.run_hot`: off the event loop
    unless the database is a local SQLite file); input Authlib cannot describe is invalid_request.
    """

    def guarded() -> OAuthResponse:
        try:
            response = run()
        except ValueError:  # e.g. an error description Authlib built from unprintable input
            return server.error_response(InvalidRequestError())
        return response if response is not None else server.error_response(InvalidRequestError())

    return await server.db.run_hot(guarded)
