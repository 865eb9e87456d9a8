"""``by``: fork a stream per key (e.g. per host and service), each fork with its own state.

Place in the flow: wraps per-series logic (changed, stable, throttle per host...). As in Riemann,
a fork is built by calling the builder when a key is first seen, forks live forever (no garbage
collection) and None is a valid key. Unlike Riemann, the forks' state can be saved and restored
(:meth:`By.snapshot`/:meth:`By.restore`) so a restart does not re-emit every first state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from alerter.model import Event
from alerter.streams.core import ErrorReporter, Fanout, Stream, log_errors, restore_into, snapshot_of

_FIELDS = frozenset(("host", "service", "state", "description", "metric", "time", "ttl"))

Builder = Callable[[Any], Stream | Sequence[Stream]]


def key_function(fields: str | Sequence[str] | Callable[[Event], Any]) -> Callable[[Event], Any]:
    """One field -> its value; several -> the tuple of values; a function is used as is."""
    if callable(fields):
        return fields
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    if all(f in _FIELDS for f in names):
        return attrgetter(*names)
    getters = tuple(attrgetter(f) if f in _FIELDS else _attribute(f) for f in names)
    if len(getters) == 1:
        return getters[0]
    return lambda e: tuple(g(e) for g in getters)


def _attribute(name: str) -> Callable[[Event], Any]:
    return lambda e: e.attributes.get(name)


class By:
    """See :func:`by`."""

    __slots__ = ("_build", "_forks", "_key", "_multi", "_on_error")

    def __init__(
        self, fields: str | Sequence[str] | Callable[[Event], Any], build: Builder, on_error: ErrorReporter
    ) -> None:
        self._key = key_function(fields)
        self._multi = not callable(fields) and not isinstance(fields, str) and len(fields) > 1
        self._build = build
        self._forks: dict[Any, Stream] = {}
        self._on_error = on_error

    def __call__(self, event: Event) -> None:
        key = self._key(event)
        fork = self._forks.get(key)
        if fork is None:
            fork = self._forks[key] = self._new_fork(key)
        try:
            fork(event)
        except Exception as exc:  # isolation boundary, as for any child
            self._on_error(exc, fork, event)

    def _new_fork(self, key: Any) -> Stream:
        built = self._build(key)
        if callable(built):
            return built
        children = tuple(built)
        return children[0] if len(children) == 1 else Fanout(children, self._on_error)

    def __len__(self) -> int:
        return len(self._forks)

    def keys(self) -> list[Any]:
        return list(self._forks)

    def snapshot(self) -> list[list[Any]]:
        """``[[key, fork_state], ...]`` (tuple keys as lists): JSON-ready if the forks' state is."""
        return [[list(k) if isinstance(k, tuple) else k, snapshot_of(f)] for k, f in self._forks.items()]

    def restore(self, state: list[list[Any]]) -> None:
        """Rebuild one fork per saved key and restore its state."""
        for raw_key, fork_state in state:
            key = tuple(raw_key) if self._multi else raw_key
            fork = self._forks.get(key)
            if fork is None:
                fork = self._forks[key] = self._new_fork(key)
            restore_into(fork, fork_state)


def by(
    fields: str | Sequence[str] | Callable[[Event], Any],
    build: Callable[[], Stream | Sequence[Stream]],
    *,
    on_error: ErrorReporter = log_errors,
) -> By:
    """Fork per key: ``build()`` makes a fresh, independent set of child streams for each new key.

    >>> from alerter.streams.changes import changed
    >>> got = []; s = by("host", lambda: changed("state", got.append))
    >>> for h in ["a", "b", "a"]: s(Event(host=h, state="ok"))
    >>> [e.host for e in got]
    ['a', 'b']
    """
    return By(fields, lambda _key: build(), on_error)


def by_builder(
    fields: str | Sequence[str] | Callable[[Event], Any],
    build: Builder,
    *,
    on_error: ErrorReporter = log_errors,
) -> By:
    """As :func:`by`, but ``build(key)`` sees the key (Riemann's ``by-builder``).

    >>> got = []; s = by_builder("host", lambda host: lambda e: got.append((host, e.state)))
    >>> s(Event(host="a", state="ok")); got
    [('a', 'ok')]
    """
    return By(fields, build, on_error)
