"""Axon tokens and admin API keys: minted once, stored only as keyed hashes.

Tokens are compared through HMAC-SHA256 digests keyed with the hub's secret (``<data_dir>/hub.key``,
created on first start, mode 0600), so a leaked database alone does not reveal even a weak
token an axon chose itself. Digests are compared with ``hmac.compare_digest``. A fast keyed hash
rather than a password KDF is deliberate: the broker checks a token on every connect, and 5,000
axons must connect in seconds; minted tokens carry 256 bits of entropy.

First contact: an unknown axon id whose token was minted with ``synapse token create`` is approved
at once; otherwise the first token claims the id and the axon waits as ``pending``.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from sqlmodel import select

from hub.clock import Clock
from hub.errors import AuthError, NotFoundError, ValidationError
from hub.models import ApiKeyRow, AxonRow, CredentialRow
from hub.ports import HUB_USERNAME, Identity
from hub.storage import Storage
from hub.topics import is_valid_axon_id

TOKEN_BYTES = 32
ROLES = ("admin", "viewer")


@dataclass(frozen=True)
class Caller:
    """Who is asking, as shown in the command ledger."""

    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


API_KEY_PREFIX = "syn_"


def load_or_create_key(data_dir: Path) -> bytes:
    """The hub's hashing key; created once with owner-only permissions."""
    path = data_dir / "hub.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key.hex())
        return key


class CredentialStore:
    """Implements ``hub.ports.Credentials`` for the broker, plus minting for the CLI and API."""

    def __init__(self, storage: Storage, key: bytes, clock: Clock, *, auto_approve: bool) -> None:
        self._storage = storage
        self._key = key
        self._clock = clock
        self.auto_approve = auto_approve
        #: the hub's own MQTT password: random per process, never stored or shown
        self.hub_password = secrets.token_urlsafe(32)

    def digest(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode("utf-8"), sha256).hexdigest()

    # -- the broker's question ------------------------------------------------------------
    def authenticate(self, username: str | None, password: str | None) -> Identity:
        if not username or password is None:
            return Identity.DENIED
        if username == HUB_USERNAME:
            ok = hmac.compare_digest(password.encode(), self.hub_password.encode())
            return Identity.HUB if ok else Identity.DENIED
        if not is_valid_axon_id(username) or not password or len(password) > 256:
            return Identity.DENIED
        return Identity.AXON if self.verify_or_claim(username, password) else Identity.DENIED

    def verify_or_claim(self, axon_id: str, token: str) -> bool:
        """True when ``token`` is this axon's; an unclaimed id is claimed by its first token."""
        digest = self.digest(token)
        with self._storage.session() as session:
            row = session.get(CredentialRow, axon_id)
            if row is not None:
                return hmac.compare_digest(row.token_hash, digest)
            axon = session.get(AxonRow, axon_id)
            if axon is not None and axon.approval == "rejected":
                return False
            now = self._clock.now()
            session.add(
                CredentialRow(axon_id=axon_id, token_hash=digest, origin="claim", created_at=now)
            )
            if axon is None:
                approval = "approved" if self.auto_approve else "pending"
                session.add(
                    AxonRow(id=axon_id, approval=approval, first_seen_at=now, status_since=now)
                )
        return True

    def verify(self, axon_id: str, token: str) -> None:
        """Raise ``AuthError`` unless ``token`` belongs to ``axon_id`` (HTTP reporters)."""
        with self._storage.session() as session:
            row = session.get(CredentialRow, axon_id)
        if row is None or not hmac.compare_digest(row.token_hash, self.digest(token)):
            raise AuthError("the token does not match this axon")

    def origin(self, axon_id: str) -> str | None:
        with self._storage.session() as session:
            row = session.get(CredentialRow, axon_id)
            return row.origin if row else None

    # -- minting ---------------------------------------------------------------------------
    def mint_axon_token(self, axon_id: str) -> str:
        """A new token for ``axon_id``; replaces any earlier one. Shown once, never stored."""
        if not is_valid_axon_id(axon_id):
            raise ValidationError(
                f"{axon_id[:70]!r} is not a valid axon id (1-64 characters of a-z, 0-9, '_', '.', '-')"
            )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._storage.session() as session:
            row = session.get(CredentialRow, axon_id) or CredentialRow(
                axon_id=axon_id, token_hash="", origin="cli", created_at=0
            )
            row.token_hash = self.digest(token)
            row.origin = "cli"
            row.created_at = self._clock.now()
            session.add(row)
        return token

    def revoke_axon_token(self, axon_id: str) -> None:
        with self._storage.session() as session:
            row = session.get(CredentialRow, axon_id)
            if row is None:
                raise NotFoundError(f"axon {axon_id!r} has no token")
            session.delete(row)

    def mint_api_key(self, name: str = "admin", role: str = "admin") -> str:
        if role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}")
        key = API_KEY_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        with self._storage.session() as session:
            session.add(
                ApiKeyRow(
                    name=name[:64],
                    role=role,
                    key_hash=self.digest(key),
                    created_at=self._clock.now(),
                )
            )
        return key

    def check_api_key(self, key: str) -> Caller | None:
        """Who holds this key, or None. ``admin`` may do everything, ``viewer`` only read."""
        if not key or len(key) > 256:
            return None
        digest = self.digest(key)
        with self._storage.session() as session:
            row = session.exec(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest)).first()
            if row is None:
                return None
            row.last_used_at = self._clock.now()
            session.add(row)
            return Caller(name=f"apikey:{row.name}", role=row.role)
