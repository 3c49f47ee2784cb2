"""The database engine, built once per hub and passed in (never at import time).

SQLite gets WAL, a busy timeout and relaxed fsync, which is what makes batched history writes
cheap; PostgreSQL needs nothing special. Library errors are translated to ``StorageError`` here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from hub import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from hub.errors import StorageError


class Storage:
    def __init__(self, url: str) -> None:
        self.url = url
        connect_args: dict[str, Any] = {}
        if url.startswith("sqlite"):
            connect_args = {"check_same_thread": False, "timeout": 30}
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        #: the unit of work open in this thread or task, joined by nested ``session()`` calls
        self._current: ContextVar[Session | None] = ContextVar(f"session-{id(self)}", default=None)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def create_all(self) -> None:
        try:
            SQLModel.metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot prepare the database at {self.safe_url}: {exc}") from exc

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error.

        Re-entrant: inside an open unit of work (same thread or task) a nested call joins it
        instead of committing on its own. A step that changes many axons at once (a liveness
        sweep finding a hundred silent axons, with every listener writing its own rows) is then
        one transaction instead of hundreds, which is what keeps ingest from stalling.
        """
        current = self._current.get()
        if current is not None:
            yield current
            return
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                token = self._current.set(session)
                try:
                    yield session
                    session.commit()
                finally:
                    self._current.reset(token)
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
