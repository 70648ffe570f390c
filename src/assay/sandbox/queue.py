"""`RunQueue`: a bounded, per-user-fair queue for sandbox runs, shared by threads.

At most `max_concurrent` runs hold a slot at once (default: the number of CPU cores). Waiting
requests sit in one FIFO per user; when a slot frees, the waiting user who was served least recently
(never served counts as longest ago; ties go to the earliest request) gets it. This is round-robin
over users, so one user submitting many runs cannot starve the others: each waiting user gets a slot
within `number of waiting users` grants.

One instance per process is meant to be shared machine-wide (the web app and workers create one and
pass it down); separate processes each need their own bound.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from assay.errors import Unavailable
from assay.sandbox.interface import Limits, RunResult, Sandbox


@dataclass(eq=False)
class Ticket:
    """One request for a slot. `granted` is set once it may run."""

    user: str
    number: int
    granted: threading.Event = field(default_factory=threading.Event)


class RunQueue:
    """Bounded fair queue; see the module docstring. All methods are thread-safe."""

    def __init__(self, max_concurrent: int | None = None) -> None:
        self.max_concurrent = max_concurrent or os.cpu_count() or 1
        if self.max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[Ticket]] = {}
        self._running: set[Ticket] = set()
        self._numbers = itertools.count(1)
        self._grants = itertools.count(1)
        self._last_served: dict[str, int] = {}  # user -> grant serial; one entry per user ever seen

    def _next_user(self, last_served: dict[str, int], queues: dict[str, deque[Ticket]]) -> str:
        return min(queues, key=lambda u: (last_served.get(u, 0), queues[u][0].number))

    def _grant_free_slots(self) -> None:
        # Called with the lock held.
        while len(self._running) < self.max_concurrent and self._waiting:
            user = self._next_user(self._last_served, self._waiting)
            tickets = self._waiting[user]
            ticket = tickets.popleft()
            if not tickets:
                del self._waiting[user]
            self._last_served[user] = next(self._grants)
            self._running.add(ticket)
            ticket.granted.set()

    def _order(self) -> list[Ticket]:
        # Called with the lock held: the order in which waiting tickets will be granted.
        queues = {u: deque(q) for u, q in self._waiting.items()}
        served = dict(self._last_served)
        order: list[Ticket] = []
        serial = 0
        while queues:
            user = self._next_user(served, queues)
            order.append(queues[user].popleft())
            if not queues[user]:
                del queues[user]
            serial += 1
            served[user] = 1 << 62 | serial  # after every real grant
        return order

    def enqueue(self, user: str) -> Ticket:
        """Ask for a slot without blocking; the ticket is granted now or later (see `wait`)."""
        ticket = Ticket(user=user, number=next(self._numbers))
        with self._lock:
            self._waiting.setdefault(user, deque()).append(ticket)
            self._grant_free_slots()
        return ticket

    def position(self, ticket: Ticket) -> int:
        """0 when the ticket holds a slot (or was released), else its 1-based place in the service order."""
        with self._lock:
            if ticket.granted.is_set():
                return 0
            return self._order().index(ticket) + 1

    def wait(self, ticket: Ticket, timeout: float | None = None,
             on_position: Callable[[int], None] | None = None, poll_seconds: float = 0.5) -> None:
        """Block until `ticket` is granted. `on_position` is called with the position whenever it
        changes. Raises Unavailable (after withdrawing the ticket) when `timeout` passes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last = -1
        while True:
            pos = self.position(ticket)
            if pos != last and on_position is not None:
                on_position(pos)
            last = pos
            if pos == 0:
                return
            if deadline is None:
                ticket.granted.wait(poll_seconds)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if self.cancel(ticket):
                    raise Unavailable(f"the sandbox queue is busy ({self.max_concurrent} runs at once); "
                                      "try again in a moment")
                continue  # granted meanwhile: the next pass returns
            ticket.granted.wait(min(poll_seconds, remaining))

    def cancel(self, ticket: Ticket) -> bool:
        """Withdraw a waiting ticket; True if it was still waiting (False if already granted)."""
        with self._lock:
            tickets = self._waiting.get(ticket.user)
            if tickets is None or ticket not in tickets:
                return False
            tickets.remove(ticket)
            if not tickets:
                del self._waiting[ticket.user]
            return True

    def release(self, ticket: Ticket) -> None:
        """Give back a granted slot (idempotent) and grant the next waiting tickets."""
        with self._lock:
            self._running.discard(ticket)
            self._grant_free_slots()

    @contextmanager
    def slot(self, user: str, timeout: float | None = None,
             on_position: Callable[[int], None] | None = None) -> Iterator[Ticket]:
        """`with queue.slot(user):` holds a slot for the block; waits fairly for it first."""
        ticket = self.enqueue(user)
        try:
            self.wait(ticket, timeout=timeout, on_position=on_position)
            yield ticket
        finally:
            if not self.cancel(ticket):
                self.release(ticket)

    def run(self, user: str, sandbox: Sandbox, files: dict[str, str], command: list[str], limits: Limits,
            *, timeout: float | None = None, on_position: Callable[[int], None] | None = None) -> RunResult:
        """Wait for a slot as `user`, then `sandbox.run(files, command, limits)`."""
        with self.slot(user, timeout=timeout, on_position=on_position):
            return sandbox.run(files, command, limits)

    def stats(self) -> dict[str, int]:
        """Counts for a status page: running, waiting, users_waiting."""
        with self._lock:
            return {"running": len(self._running), "waiting": sum(len(q) for q in self._waiting.values()),
                    "users_waiting": len(self._waiting)}


class QueuedSandbox:
    """A `Sandbox` whose runs wait for a slot in `queue` as `user` (e.g. to pass to `mutation_score`)."""

    def __init__(self, sandbox: Sandbox, queue: RunQueue, user: str, timeout: float | None = None) -> None:
        self.sandbox, self.queue, self.user, self.timeout = sandbox, queue, user, timeout

    def run(self, files: dict[str, str], command: list[str], limits: Limits) -> RunResult:
        """Wait fairly for a slot, then run (see `Sandbox.run`)."""
        return self.queue.run(self.user, self.sandbox, files, command, limits, timeout=self.timeout)
