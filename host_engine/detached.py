"""Blocking work awaited from the event loop on a daemon thread that a stopping process does not wait for.

`asyncio.to_thread` work is joined when `asyncio.run` ends, however long it takes (a batch of machine translation,
a language model's 8 s timeout): a host told to stop would hang that long. Work that is worth nothing once the
show stops runs here instead; its result is dropped if nobody awaits it any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def run_detached(name: str, function: Callable[..., T], *args: object) -> T:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # the awaiting task was cancelled
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result, error = function(*args), None
        except BaseException as exc:  # handed to the awaiting task, which decides
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name=name, daemon=True).start()
    return await future
