"""Signals of a ``simpor-ext`` run: until its output is in place, Ctrl-C and
SIGTERM unwind it (every ``except BaseException`` cleanup runs, no temporary
file is left); from then on the run is complete and they are only noted, so
a late one can neither contradict the written file with "interrupted" nor
kill the process during the interpreter's shutdown (exit status 0)."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

__all__ = ["Terminated", "handle_signals", "run_complete", "late_signals"]


class Terminated(KeyboardInterrupt):
    """SIGTERM (job schedulers, container stops), unwound like Ctrl-C."""

    received = False  # also when code that handles Ctrl-C re-raises a plain KeyboardInterrupt


_LATE_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
_late: list[str] = []
_complete = False


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the cleanup finish
    Terminated.received = True
    raise Terminated()


def _note_late(signum, frame) -> None:
    _late.append(_LATE_NAMES.get(signum, signal.Signals(signum).name))


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()  # where Python lets signals be handled


@contextlib.contextmanager
def handle_signals(*, restore: bool) -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the block. ``restore``: put the
    handlers back after it (a caller in this process). Without, the process
    is ending: after a complete run both signals are then ignored, since
    Python's own handlers stop running early in the interpreter's shutdown
    and a signal after that would kill the process without a word."""
    global _complete
    Terminated.received, _complete = False, False
    _late.clear()
    if not _main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in _LATE_NAMES}
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        if restore:
            for sig, handler in previous.items():
                if handler is not None:  # None: set outside Python, cannot be put back
                    signal.signal(sig, handler)
        elif _complete:
            for sig in _LATE_NAMES:
                signal.signal(sig, signal.SIG_IGN)


def run_complete() -> None:
    """From here on the run is done: Ctrl-C and SIGTERM are noted, not raised."""
    global _complete
    _complete = True
    if _main_thread():
        for sig in _LATE_NAMES:
            signal.signal(sig, _note_late)


def late_signals() -> list[str]:
    """The signals noted since :func:`run_complete`, as the user would name them."""
    return list(_late)
