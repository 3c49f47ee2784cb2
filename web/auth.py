"""Dashboard sign-in at the HTTP edge: the session cookie, CSRF checks and login throttling.

* The cookie ``synapse_session`` holds a random token (HttpOnly, SameSite=Lax, Secure over
  HTTPS); ``hub.accounts`` keeps its digest as a row with an expiry.
* CSRF: every state-changing request made with the cookie must carry the session's CSRF token,
  as the ``csrf`` form field or the ``X-CSRF-Token`` header, and a cross-site ``Origin`` is
  refused outright. Requests with an API key (``Authorization: Bearer``) carry no cookie and
  need no token.
* Login throttling: after ``MAX_FAILURES_PER_USER`` failed sign-ins for one username, or
  ``MAX_FAILURES_PER_ADDRESS`` from one address, within ``WINDOW`` seconds, further attempts are
  refused until the oldest failure leaves the window (time comes from the injected clock).
"""

from __future__ import annotations

import hmac
from collections import deque
from dataclasses import dataclass, field

from fastapi import Request, Response

from hub.accounts import Accounts, Session
from hub.clock import Clock
from hub.credentials import Caller
from hub.errors import ForbiddenError

COOKIE = "synapse_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

WINDOW = 15 * 60.0
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20


def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def current_session(request: Request) -> Session | None:
    """The session named by the cookie, looked up once per request."""
    if "synapse_session" in request.scope.get("state", {}):
        cached: Session | None = request.state.synapse_session
        return cached
    token = request.cookies.get(COOKIE, "")
    found = accounts_of(request).session(token) if token else None
    request.state.synapse_session = found
    return found


def same_origin(request: Request) -> bool:
    """False only when the browser says the request came from another site."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null" and request.method in SAFE_METHODS:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def check_csrf(request: Request, session: Session, form_token: str | None = None) -> None:
    """Raise ``ForbiddenError`` unless a state-changing request carries the session's token."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request):
        raise ForbiddenError("this request came from another site and was refused")
    sent = form_token if form_token is not None else request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise ForbiddenError("the form has expired (missing or wrong CSRF token); reload the page")


def session_caller(request: Request) -> Caller | None:
    """For the JSON API: the signed-in user, CSRF-checked on state-changing requests."""
    session = current_session(request)
    if session is None:
        return None
    check_csrf(request, session)
    return session.user.caller()


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(session.expires_at - accounts_clock_now(request)),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def accounts_clock_now(request: Request) -> float:
    clock: Clock = request.app.state.hub.clock
    return clock.now()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass
class LoginThrottle:
    """Failed sign-ins per username and per address in a sliding window."""

    clock: Clock
    window: float = WINDOW
    per_user: int = MAX_FAILURES_PER_USER
    per_address: int = MAX_FAILURES_PER_ADDRESS
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        now = self.clock.now()
        wait = 0.0
        for key, limit in (
            (("user", username.lower()), self.per_user),
            (("addr", address), self.per_address),
        ):
            times = self._recent(key, now)
            if len(times) >= limit:
                wait = max(wait, times[0] + self.window - now)
        return wait

    def failed(self, username: str, address: str) -> None:
        now = self.clock.now()
        for key in (("user", username.lower()), ("addr", address)):
            self._recent(key, now).append(now)
        if len(self._failures) > 10_000:  # bound memory under a spray of usernames
            for key in [k for k, v in self._failures.items() if not v]:
                del self._failures[key]

    def succeeded(self, username: str) -> None:
        self._failures.pop(("user", username.lower()), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
