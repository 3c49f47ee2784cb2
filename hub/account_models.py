"""Tables of the dashboard's people: users and their server-side sessions.

Sessions are rows so that logout and a password change can end them; the cookie carries a random
token and the row keeps only its SHA-256 digest, so a copy of the database opens no session.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    #: an argon2id hash in PHC string form (the parameters travel with it)
    password_hash: str = Field(max_length=256)
    role: str = Field(default="viewer", max_length=16)  # admin | viewer
    created_at: float
    password_changed_at: float


class SessionRow(SQLModel, table=True):
    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(index=True, foreign_key="users.id")
    created_at: float
    #: the session ends at this time whatever happens (an absolute lifetime)
    expires_at: float = Field(index=True)
    address: str = Field(default="", max_length=64)
