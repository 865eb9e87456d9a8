"""Label selectors, compiled once: ``{env: prod, app: [checkout, cart]}`` -> a predicate on labels.

Place in the flow: config selectors (grouping, paging, topology) -> these predicates -> used by
:mod:`.correlate` on alert transitions only (never on the per-evaluation hot path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

LabelPredicate = Callable[[Mapping[str, str]], bool]


def compile_selector(selector: Mapping[str, str | list[str]]) -> LabelPredicate:
    """Every key must have one of its values; a missing label never matches; ``{}`` matches all.

    >>> m = compile_selector({"env": "prod", "app": ["checkout", "cart"]})
    >>> m({"env": "prod", "app": "cart"}), m({"env": "stg", "app": "cart"}), m({"env": "prod"})
    (True, False, False)
    """
    wanted = tuple(
        (key, frozenset([value] if isinstance(value, str) else value)) for key, value in selector.items()
    )
    if not wanted:
        return _always

    def matches(labels: Mapping[str, str]) -> bool:
        for key, values in wanted:
            value = labels.get(key)
            if value is None or value not in values:
                return False
        return True

    return matches


def _always(_labels: Mapping[str, str]) -> bool:
    return True
