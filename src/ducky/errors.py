"""The project's error types. The CLI maps each to one line on stderr and an exit code."""

from __future__ import annotations


class DuckyError(Exception):
    """Base class for every error ducky reports to a user without a traceback."""

    exit_code = 1


class UserError(DuckyError):
    """The user asked for something that cannot work (bad option, bad file, bad spec)."""

    exit_code = 2


class DataDirError(UserError):
    """The data directory is missing or does not match the dataset contract."""


class EngineUnavailable(UserError):
    """An engine or plugin cannot be used here (not installed, missing extra or runtime)."""


class EngineError(DuckyError):
    """A driver or server failed while running a query; wraps the driver's own error."""


class QueryTimeout(EngineError):
    """A query ran past its configured time limit and was stopped."""


class QueryOutOfMemory(EngineError):
    """A query needed more memory than the engine's limit allows (after spilling to disk):
    a resource limit like the timeout, not a fault (the API answers 503, as for a timeout)."""


class ConnectionFailed(EngineError):
    """A server could not be reached, or refused the credentials."""

    exit_code = 3
