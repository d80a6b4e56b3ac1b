"""Web panel sessions: a signed cookie that stands for a user's API token, and its CSRF token.

The login page takes a user's API token once and answers with the cookie `pixelview_session`:
`v1.<user id>.<expires, epoch seconds>.<signature>`, HttpOnly and SameSite=Strict. The
signature is an HMAC-SHA256, under a key derived from `security.secret_key`, of those fields
and of the hash of the user's token: the cookie holds no token, cannot be forged or extended,
and stops working when the user is disabled or gets another token.

State-changing requests that the cookie authenticates must also carry `X-CSRF-Token`: an HMAC
of the cookie under another derived key, which each page holds in `<meta name="csrf-token">`
and the panel's `fetch()` sends. Another site can make a browser send the cookie (old
browsers ignore SameSite) but can neither read the page nor set that header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

COOKIE_NAME = "pixelview_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
"""The form field of the pages' plain HTML forms (logout) that carries the CSRF token."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_VERSION = "v1"


def _derive(secret_key: str, purpose: str) -> bytes:
    return hashlib.sha256(f"pixelview-{purpose}-v1:{secret_key}".encode()).digest()


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class SessionClaim:
    """What a well-formed cookie says; `SessionSigner.verify` checks it against the user."""

    user_id: uuid.UUID
    expires: datetime
    cookie: str


class SessionSigner:
    """Issues and checks session cookies and their CSRF tokens."""

    def __init__(self, secret_key: str, *, lifetime: timedelta) -> None:
        """Sign with keys derived from `security.secret_key`; cookies last `lifetime`."""
        self._session_key = _derive(secret_key, "web-session")
        self._csrf_key = _derive(secret_key, "web-csrf")
        self.lifetime = lifetime

    def issue(self, user_id: uuid.UUID, token_hash: str, *, now: datetime) -> str:
        """A cookie value for the user, valid for `lifetime` from `now`."""
        expires = int((now + self.lifetime).timestamp())
        body = f"{_VERSION}.{user_id.hex}.{expires}"
        return f"{body}.{_mac(self._session_key, f'{body}.{token_hash}')}"

    @staticmethod
    def parse(cookie: str) -> SessionClaim | None:
        """The claim of a well-formed cookie (not yet verified), or None."""
        parts = cookie.split(".")
        if len(parts) != 4 or parts[0] != _VERSION:
            return None
        try:
            user_id = uuid.UUID(hex=parts[1])
            expires = datetime.fromtimestamp(int(parts[2]), tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None
        return SessionClaim(user_id=user_id, expires=expires, cookie=cookie)

    def verify(self, claim: SessionClaim, token_hash: str, *, now: datetime) -> bool:
        """Whether the claim was signed for this token hash and has not expired at `now`."""
        body, _, signature = claim.cookie.rpartition(".")
        expected = _mac(self._session_key, f"{body}.{token_hash}")
        return hmac.compare_digest(signature, expected) and now < claim.expires

    def csrf_token(self, cookie: str) -> str:
        """The CSRF token that goes with a session cookie."""
        return _mac(self._csrf_key, cookie)

    def csrf_ok(self, cookie: str, presented: str | None) -> bool:
        """Whether `presented` is the CSRF token of `cookie`."""
        return presented is not None and hmac.compare_digest(presented, self.csrf_token(cookie))
