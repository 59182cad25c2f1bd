"""The one exception hierarchy of orcon.

Every error a user can cause is an :class:`OrconError`; the CLI turns it into a
one-line message and exit code 2 (usage/input) or 1 (a check failed), so a user
mistake never shows a traceback. Errors are split by *fault*, not by module, so
that callers can decide what to do without parsing messages.
"""

from __future__ import annotations


class OrconError(Exception):
    """Root of every error orcon raises on purpose."""

    exit_code: int = 2

    def diagnostics(self) -> str:
        """A human explanation suitable for a terminal or a web page."""
        return str(self)


class UsageError(OrconError):
    """The caller asked for something malformed or impossible (bad argument, bad input file)."""

    exit_code = 2


class CapacityError(UsageError):
    """The medium cannot carry a code long enough for the requested population."""


class PolicyDenied(OrconError):
    """The policy refused an action; carries the reason shown to the user."""

    exit_code = 1


class VerificationError(OrconError):
    """A proof, signature or log failed to verify. Verifiers raise this and never return False."""

    exit_code = 1


class StorageError(OrconError):
    """The database or blob store could not complete an operation; nothing was half-written."""

    exit_code = 1


class MatchError(OrconError):
    """A leak could not be matched or registered to a shared original (a finding, not a crash)."""

    exit_code = 1


class FetchRefused(OrconError):
    """The leak watch stopped a fetch on purpose (robots.txt, size, deadline, a redirect to
    another host, an HTTP error); recorded on the source, the round goes on."""

    exit_code = 1
