"""Domain errors. Each carries a message that says what is wrong and what to do.

Library code raises these; only the CLI turns them into a printed line and an exit code.
"""

from __future__ import annotations


class Im4talkinError(Exception):
    """Base class: ``str(err)`` is the one line shown to the learner."""

    exit_code = 1


class ConfigError(Im4talkinError):
    """A bad setting, flag or env var."""

    exit_code = 2


class TopicError(Im4talkinError):
    """An unknown or malformed topic."""

    exit_code = 2


class InputError(Im4talkinError):
    """Learner input the tutor cannot use (empty, too long, not English)."""

    exit_code = 2


class ModelError(Im4talkinError):
    """A model file is missing, corrupt, or failed to load."""

    exit_code = 3


class MissingDependency(Im4talkinError):
    """An optional Python package is not installed."""

    exit_code = 3

    def __init__(self, what: str, package: str) -> None:
        super().__init__(f"{what} needs the '{package}' package: pip install {package}")


class StorageError(Im4talkinError):
    """The data dir or database cannot be used."""

    exit_code = 4


class DeviceError(Im4talkinError):
    """No usable sound device, or the system library for sound is missing."""

    exit_code = 5
