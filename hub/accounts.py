"""People who use the dashboard: accounts, password hashing and server-side sessions.

There is no default password. Until an admin exists the dashboard asks for one (or the hub takes
it from ``SYNAPSE_ADMIN_PASSWORD``). Passwords are hashed with argon2id; a session is a random
token in an HttpOnly cookie whose SHA-256 digest is a row with an absolute expiry on the injected
clock. Logging out ends the session; changing a password ends every other session of that user.

Roles are those of API keys: ``admin`` may do everything, ``viewer`` may only read.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete
from sqlmodel import SQLModel, col, select

from hub.account_models import SessionRow, UserRow
from hub.clock import Clock
from hub.credentials import ROLES, Caller
from hub.errors import AuthError, ConflictError, NotFoundError, ValidationError
from hub.storage import Storage

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
SESSION_BYTES = 32


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def caller(self) -> Caller:
        return Caller(name=f"user:{self.username}", role=self.role)


@dataclass(frozen=True)
class Session:
    """A live session: who, until when, and the CSRF token its forms must carry."""

    user: User
    token: str
    expires_at: float

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def csrf_token(session_token: str) -> str:
    """Derived from the session token, so it needs no storage and dies with the session."""
    return hmac.new(session_token.encode(), b"synapse-csrf", hashlib.sha256).hexdigest()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: UserRow) -> User:
    return User(id=row.id or 0, username=row.username, role=row.role)


class Accounts:
    def __init__(self, storage: Storage, clock: Clock, *, session_lifetime: float) -> None:
        self._storage = storage
        self._clock = clock
        self.session_lifetime = session_lifetime
        self._hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        tables = [SQLModel.metadata.tables[t] for t in ("users", "sessions")]
        SQLModel.metadata.create_all(storage.engine, tables=tables)

    # -- users ---------------------------------------------------------------------------
    def needs_setup(self) -> bool:
        """True until the first admin exists: the dashboard then shows only the setup form."""
        with self._storage.session() as session:
            return session.exec(select(UserRow.id).where(UserRow.role == "admin")).first() is None

    def create_user(self, username: str, password: str, role: str = "viewer") -> User:
        username = username.strip()
        if not USERNAME.match(username):
            raise ValidationError(
                "a username is 1-64 characters of letters, digits, '_', '.', '@' or '-'"
            )
        if role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}")
        self._check_password(password)
        hashed = self._hasher.hash(password)
        now = self._clock.now()
        with self._storage.session() as session:
            taken = session.exec(select(UserRow).where(UserRow.username == username)).first()
            if taken is not None:
                raise ConflictError(f"there is already a user called {username!r}")
            row = UserRow(
                username=username,
                password_hash=hashed,
                role=role,
                created_at=now,
                password_changed_at=now,
            )
            session.add(row)
            session.flush()
            return _user(row)

    def create_first_admin(self, username: str, password: str) -> User:
        """The setup form's action; refused once an admin exists (it is not a sign-up form)."""
        if not self.needs_setup():
            raise ConflictError("the admin account already exists; sign in instead")
        return self.create_user(username, password, "admin")

    def users(self) -> list[User]:
        with self._storage.session() as session:
            rows = session.exec(select(UserRow).order_by(col(UserRow.username))).all()
            return [_user(r) for r in rows]

    def delete_user(self, user_id: int) -> None:
        with self._storage.session() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFoundError(f"there is no user {user_id}")
            session.execute(delete(SessionRow).where(col(SessionRow.user_id) == user_id))
            session.delete(row)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user whose password this is, or None. Takes as long for an unknown name."""
        with self._storage.session() as session:
            row = session.exec(select(UserRow).where(UserRow.username == username.strip())).first()
        if row is None or len(password) > MAX_PASSWORD:
            self._hasher.hash(password[:MAX_PASSWORD])  # spend the same time: no user probing
            return None
        try:
            self._hasher.verify(row.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(row.password_hash):
            with self._storage.session() as session:
                fresh = session.get(UserRow, row.id)
                if fresh is not None:
                    fresh.password_hash = self._hasher.hash(password)
                    session.add(fresh)
        return _user(row)

    def change_password(self, session_token: str, old: str, new: str) -> None:
        """Set a new password and end every other session of this user."""
        current = self.session(session_token)
        if current is None:
            raise AuthError("your session has ended; sign in again")
        if self.authenticate(current.user.username, old) is None:
            raise AuthError("the current password is not right")
        self._check_password(new)
        hashed = self._hasher.hash(new)
        keep = _digest(session_token)
        with self._storage.session() as session:
            row = session.get(UserRow, current.user.id)
            if row is None:
                raise NotFoundError("your account no longer exists")
            row.password_hash = hashed
            row.password_changed_at = self._clock.now()
            session.add(row)
            session.execute(
                delete(SessionRow).where(
                    col(SessionRow.user_id) == current.user.id, col(SessionRow.token_hash) != keep
                )
            )

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise ValidationError(f"a password has at most {MAX_PASSWORD} characters")

    # -- sessions ------------------------------------------------------------------------
    def start_session(self, user: User, address: str = "") -> Session:
        token = secrets.token_urlsafe(SESSION_BYTES)
        now = self._clock.now()
        expires = now + self.session_lifetime
        with self._storage.session() as session:
            session.add(
                SessionRow(
                    token_hash=_digest(token),
                    user_id=user.id,
                    created_at=now,
                    expires_at=expires,
                    address=address[:64],
                )
            )
        return Session(user=user, token=token, expires_at=expires)

    def session(self, token: str) -> Session | None:
        """The live session for a cookie value, or None (unknown, expired or ended)."""
        if not token or len(token) > 128:
            return None
        with self._storage.session() as session:
            row = session.get(SessionRow, _digest(token))
            if row is None:
                return None
            if row.expires_at <= self._clock.now():
                session.delete(row)
                return None
            user = session.get(UserRow, row.user_id)
            if user is None:
                return None
            return Session(user=_user(user), token=token, expires_at=row.expires_at)

    def end_session(self, token: str) -> None:
        with self._storage.session() as session:
            session.execute(delete(SessionRow).where(col(SessionRow.token_hash) == _digest(token)))

    def sessions_of(self, user_id: int) -> int:
        now = self._clock.now()
        with self._storage.session() as session:
            rows = session.exec(
                select(SessionRow.token_hash).where(
                    SessionRow.user_id == user_id, SessionRow.expires_at > now
                )
            ).all()
            return len(rows)

    def prune(self) -> int:
        """Delete expired sessions; returns how many."""
        with self._storage.session() as session:
            result = session.execute(
                delete(SessionRow).where(col(SessionRow.expires_at) <= self._clock.now())
            )
            return int(getattr(result, "rowcount", 0) or 0)
