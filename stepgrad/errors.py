"""The one error type a user ever sees for a bad scenario."""

from __future__ import annotations


class ScenarioError(Exception):
    """A mistake in a scenario file, located at FILE:LINE:COL.

    Args:
        path: the file as the user named it.
        message: what is wrong, in one line, with a suggestion where one is obvious.
        line: 1-based line, or None when the problem is the file itself.
        col: 1-based column, or None.
    """

    def __init__(self, path: str, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}:{self.col or 1}: {self.message}"
