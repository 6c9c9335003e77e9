"""``balance --scheduler ADDRESS``: a ``distributed.Client`` for the fit, or one line saying why not.

``distributed.Client(address)`` can wait without end where no Dask scheduler
answers: its handshake has no time limit, so a port that accepts connections
and never replies (a dashboard or another HTTP port) holds it for good, and a
constructor that fails leaves a half-made client whose finaliser waits 40 s
more at exit and ends on a traceback. So the address is checked first: its
syntax, then the connection, opened once (a refused port fails at once
instead of being retried for the whole timeout), then the handshake, each
step bounded. Only a server that answered the handshake gets a Client. The
network work runs on a daemon thread that the main thread waits for, so
Ctrl-C stays live and nothing left waiting holds the exit.
"""
from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from typing import Any, Callable, Iterator, Optional

from ._cli_tables import EXIT_USAGE, CLIError, one_line

__all__ = ["CONNECT_S", "ANSWER_S", "scheduler_client"]

# Opening the connection (DNS, a distant network).
CONNECT_S = 20.0
# A scheduler answers its handshake in milliseconds; a port that is not Dask never does.
ANSWER_S = 5.0


@contextlib.contextmanager
def scheduler_client(address: Optional[str]) -> Iterator[Any]:
    """A ``distributed.Client`` connected to ``address`` (None: run locally), closed after the block."""
    if not address:
        yield None
        return
    from .distributed import require_distributed

    try:
        distributed = require_distributed()
    except ImportError as exc:
        raise CLIError(f"--scheduler: {one_line(exc)}", EXIT_USAGE) from None
    _check_syntax(address)
    _in_background(lambda: asyncio.run(_handshake(distributed, address)), CONNECT_S + ANSWER_S + 1.0,
                   address)
    client = _in_background(lambda: distributed.Client(address, timeout=CONNECT_S, set_as_default=False),
                            CONNECT_S + ANSWER_S, address, abandon=lambda c: c.close())
    with client:
        yield client


def _check_syntax(address: str) -> None:
    from distributed.comm import get_address_host_port, parse_address

    try:
        get_address_host_port(address)
    except ValueError as exc:
        if parse_address(address)[0] in ("http", "https"):
            problem = "is a web address (the dashboard's?), not a scheduler's"
        else:
            problem = f"is not a scheduler address ({one_line(exc)})"
        raise CLIError(f"--scheduler: {address!r} {problem}; expected tcp://HOST:PORT, port 8786 by default",
                       EXIT_USAGE) from None


def _without_repr(message: str) -> str:
    """distributed's connection errors without their leading ``in <TCPConnector object at 0x...>: ``."""
    return re.sub(r"^in <[^>]*>: ", "", message)


class _NoAnswer(Exception):
    """The address took the connection but did not answer as a Dask server."""


async def _handshake(distributed, address: str) -> None:
    """Open one connection to ``address`` and exchange Dask's handshake, each step bounded."""
    from distributed.comm import parse_address
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    connector = get_backend(scheme).get_connector()
    connection_args = distributed.Security().get_connection_args("client")
    try:
        comm = await asyncio.wait_for(connector.connect(location, deserialize=False, **connection_args), CONNECT_S)
    except asyncio.TimeoutError:
        raise TimeoutError(f"no connection within {CONNECT_S:g} s") from None
    try:
        await asyncio.wait_for(comm.write(comm.handshake_info()), ANSWER_S)
        reply = await asyncio.wait_for(comm.read(), ANSWER_S)
    except asyncio.TimeoutError:
        raise _NoAnswer(f"it took the connection but sent no Dask handshake within {ANSWER_S:g} s") from None
    except Exception as exc:  # an HTTP server's reply is no Dask frame
        raise _NoAnswer(f"it took the connection but answered no Dask handshake ({one_line(exc)})") from None
    finally:
        comm.abort()
    if not isinstance(reply, dict):
        raise _NoAnswer("it took the connection but answered no Dask handshake")


def _in_background(work: Callable[[], Any], seconds: float, address: str,
                   abandon: Callable[[Any], Any] = lambda result: None) -> Any:
    """``work()`` on a daemon thread, waited for at most ``seconds``; Ctrl-C interrupts the wait.

    Failures become one-line CLIErrors. A result that comes after the wait
    was given up is handed to ``abandon`` on that thread.
    """
    outcome: dict[str, Any] = {}
    lock = threading.Lock()  # the waiting thread takes the result or gives it up, never both

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:  # noqa: BLE001 -- reported by the waiting thread
            # Its text only: the traceback holds any half-made Client, whose
            # finaliser must run here, not on the main thread.
            with lock:
                outcome["error"] = (isinstance(exc, _NoAnswer), _without_repr(one_line(exc)))
            return
        with lock:
            given_up = outcome.get("given_up", False)
            outcome["result"] = result
        if given_up:
            with contextlib.suppress(Exception):  # nobody is waiting to hear of it
                abandon(result)

    thread = threading.Thread(target=run, name="simpor-ext scheduler", daemon=True)
    thread.start()
    try:
        thread.join(seconds)  # Ctrl-C ends the wait with KeyboardInterrupt
    finally:
        with lock:
            settled = dict(outcome)
            outcome["given_up"] = True
    if "result" in settled:
        return settled["result"]
    if "error" not in settled:
        raise CLIError(f"--scheduler: no answer from {address} within {seconds:g} s")
    not_dask, message = settled["error"]
    what = "no Dask scheduler at" if not_dask else "cannot connect to"
    raise CLIError(f"--scheduler: {what} {address}: {message}")
