"""Read the next CRM page while the current one is being written.

A pull alternates between waiting for the CRM (network, then mapping in Python) and waiting
for the database (ingestion). Running the page iterator one page ahead on a worker thread lets
the two overlap. The worker thread never touches the database: it only calls the CRM and maps
rows; everything that writes stays on the caller's thread and connection.
"""

import queue
import threading
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Prefetched(Generic[T]):
    """Iterate `source` on a worker thread, at most one item ahead. Errors raised by the source
    reach the consumer at the point where the item would have come. Call `close()` when done
    (also after an error), so the worker stops before the client it uses is closed."""

    def __init__(self, source: Iterator[T]) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(
            target=self._run, args=(source,), name="crm-prefetch", daemon=True
        )
        self._thread.start()

    def _run(self, source: Iterator[T]) -> None:
        try:
            for item in source:
                if not self._put(("item", item)):
                    return
            self._put(("done", None))
        except BaseException as exc:  # handed to the consumer, who decides
            self._put(("error", exc))

    def _put(self, entry: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> "Prefetched[T]":
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == "item":
            return value
        self._finished = True
        if kind == "done":
            raise StopIteration
        raise value

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
