"""The request cache: every completed request, keyed by its canonical form, in SQLite.

One database per run (``work/llm-cache.sqlite``) and optionally a shared one (a directory
several runs or users point at). WAL mode lets every worker process of a build read while one
writes; a response is committed the moment it arrives, so a build killed mid-shard resumes
repeating none of the requests that had come back. A miss in the run's cache that hits the
shared one is copied into the run's, so a run directory stays complete on its own.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from synthcompile.llm.request import Completion

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL
)"""


class CacheCorrupt(sqlite3.DatabaseError):
    """A cache file that is not a usable SQLite database (truncated, overwritten): named, with
    what to do, rather than sqlite's bare "file is not a database" for one of two caches."""


def _corrupt(path: Path, exc: sqlite3.DatabaseError) -> CacheCorrupt:
    return CacheCorrupt(f"request cache {path} is damaged ({exc}); move it aside to start an empty "
                        f"cache (its requests will be sent again)")


def _wal(conn: sqlite3.Connection, wait: float = 60.0) -> None:
    """Switch a database to WAL. Setting the journal mode takes an exclusive lock and SQLite
    answers "database is locked" at once, without the busy timeout, while another process opens
    or writes the same file (two workers starting on one cache): so retry, as the timeout would."""
    deadline = time.monotonic() + wait
    delay = 0.01
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class _Db:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # autocommit (isolation_level=None): each INSERT is its own transaction, durable at once
        self.conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        try:
            _wal(self.conn)
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: survives a killed process
            # SQLite checkpoints the WAL inside a commit every 1,000 pages, which doubles a put's
            # cost on the request path; every 10,000 pages (a WAL of up to ~40 MB) halves that
            self.conn.execute("PRAGMA wal_autocheckpoint=10000")
            self.conn.execute(SCHEMA)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise _corrupt(path, exc) from exc

    def get(self, key: str) -> str | None:
        try:
            row = self.conn.execute("SELECT response FROM requests WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:  # a damaged page the open did not touch
            raise _corrupt(self.path, exc) from exc
        return row[0] if row else None

    def put(self, key: str, request: str, response: str, tokens: int) -> None:
        try:
            self.conn.execute("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?)",
                              (key, request, response, tokens, time.time()))
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            raise _corrupt(self.path, exc) from exc

    def put_many(self, rows: list[tuple[str, str, str, int]]) -> None:
        """Several rows in one transaction (one commit, one fsync of the WAL at most)."""
        try:
            now = time.time()
            self.conn.execute("BEGIN IMMEDIATE")  # the write lock up front: the busy timeout applies
            try:
                self.conn.executemany("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?, ?)",
                                      [(*row, now) for row in rows])
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            raise _corrupt(self.path, exc) from exc

    def close(self) -> None:
        self.conn.close()


class RequestCache:
    def __init__(self, path: str | Path, shared_dir: str | Path | None = None):
        self.run = _Db(Path(path))
        self.shared = _Db(Path(shared_dir) / "requests.sqlite") if shared_dir else None

    def get(self, key: str) -> Completion | None:
        raw = self.run.get(key)
        if raw is None and self.shared is not None:
            raw = self.shared.get(key)
            if raw is not None:
                data = json.loads(raw)
                self.run.put(key, "{}", raw, int(data.get("completion_tokens") or 0))
        return Completion.from_json(json.loads(raw), cached=True) if raw is not None else None

    def put(self, key: str, request: dict[str, Any], completion: Completion) -> None:
        req = json.dumps(request, sort_keys=True, ensure_ascii=False)
        resp = json.dumps(completion.to_json(), sort_keys=True, ensure_ascii=False)
        for db in (self.run, self.shared):
            if db is not None:
                db.put(key, req, resp, completion.completion_tokens)

    def put_many(self, items: list[tuple[str, dict[str, Any], Completion]]) -> None:
        """Several completions committed together: what the client does once per event-loop tick."""
        rows = [(key, json.dumps(request, sort_keys=True, ensure_ascii=False),
                 json.dumps(completion.to_json(), sort_keys=True, ensure_ascii=False), completion.completion_tokens)
                for key, request, completion in items]
        for db in (self.run, self.shared):
            if db is not None:
                db.put_many(rows)

    def __len__(self) -> int:
        return self.run.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]

    def close(self) -> None:
        self.run.close()
        if self.shared is not None:
            self.shared.close()
