"""Errors a user can fix. The CLI prints them as one line and exits 2, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave us (recipe, path, option): shown as one clear line."""

    exit_code = 2


class RecipeError(UserError):
    """A recipe problem, located as ``file:line: field: message``."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        super().__init__(f"{where}{field + ': ' if field else ''}{message}")
