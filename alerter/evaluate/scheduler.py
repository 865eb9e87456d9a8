"""The live scheduler: APScheduler 3.11 runs one job per rule on the asyncio event loop.

Place in the flow: ``app.py`` builds a :class:`~alerter.evaluate.cycle.RuleEngine` and an
:class:`EvaluationScheduler` over it; each rule's job calls :meth:`RuleEngine.run` at the due times
given by :class:`~alerter.evaluate.timing.Timing` (the same ones replay's
:class:`~alerter.evaluate.virtual.VirtualScheduler` uses). This is the ONE module importing
APScheduler; everything it schedules is testable without it.

Job settings, and why:

* ``max_instances=1``: a rule whose evaluation is still running when it is due again skips that
  run (APScheduler logs it) instead of piling up concurrent queries of one rule;
* ``coalesce=True``: after a stall (a suspended laptop, a blocked loop) missed runs of a rule
  collapse into one;
* ``misfire_grace_time`` = the rule's interval: a run up to one interval late still happens; later
  than that, the next one is due anyway.

Rules due at the same instant (same group and interval, see :mod:`~alerter.evaluate.timing`) share
one source round trip: APScheduler starts all due jobs in one pass of the event loop, and
:class:`_SameTickBatcher` gathers what was submitted in that pass into one ``RuleEngine.run``. APScheduler
runs on real time; evaluation ``now`` comes from the engine's injected clock.

Wiring (``app.py``)::

    engine = RuleEngine(source, sink, clock, name=settings.engine_name)
    scheduler = EvaluationScheduler(engine, clock, Timing(settings.jitter, seed=settings.engine_name))
    reloader = RuleReloader(settings.rules, engine, clock)
    reloader.load_initial()                     # ConfigError: refuse to start
    scheduler.every("reload", settings.reload_interval, reloader.poll)
    scheduler.start()                           # inside the running loop
    loop.add_signal_handler(signal.SIGHUP, reloader.reload)
    ...
    await scheduler.aclose()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerter.clock import Clock, to_datetime
from alerter.evaluate.cycle import Change, RuleEngine
from alerter.evaluate.timing import Timing

log = logging.getLogger(__name__)

_RULE_JOB = "rule:"
_PERIODIC_JOB = "every:"


class EvaluationScheduler:
    """Evaluates the engine's rules on their schedules, live, on the running asyncio loop.

    Follows the engine's rule set by itself (it subscribes to :meth:`RuleEngine.on_change`):
    after a reload, unchanged rules keep their job, removed rules' jobs go, new rules get one.
    Call :meth:`start` from inside the running event loop and ``await`` :meth:`aclose` when done.
    """

    def __init__(self, engine: RuleEngine, clock: Clock, timing: Timing | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._timing = timing if timing is not None else Timing()
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._batcher = _SameTickBatcher(engine.run)
        self._plans: dict[str, tuple[str, float]] = {}
        engine.on_change(self._on_change)
        self.sync()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start running jobs; must be called with the event loop running (e.g. in ``async def main``)."""
        self._scheduler.start()

    async def aclose(self) -> None:
        """Stop scheduling, cancel running evaluations and wait until they are gone (idempotent)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # APScheduler runs its shutdown (cancelling job tasks) via call_soon
        await self._batcher.aclose()

    def next_runs(self) -> dict[str, float]:
        """Each rule's next evaluation time (POSIX seconds) once started, for the status page."""
        runs: dict[str, float] = {}
        for job in self._scheduler.get_jobs():
            when = getattr(job, "next_run_time", None)  # absent on jobs of a scheduler not started
            if job.id.startswith(_RULE_JOB) and when is not None:
                runs[job.id.removeprefix(_RULE_JOB)] = when.timestamp()
        return runs

    def every(self, job_id: str, interval: float, func: Callable[[], object]) -> None:
        """Call ``func()`` every ``interval`` seconds on the event loop thread (e.g. the reload poll).

        ``func`` runs on the loop, never in a thread, because the engine is not thread-safe.
        """

        async def job() -> None:
            func()

        trigger = IntervalTrigger(seconds=interval, timezone=UTC)
        self._scheduler.add_job(
            job,
            trigger,
            id=_PERIODIC_JOB + job_id,
            name=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=_grace(interval),
        )

    def sync(self) -> None:
        """Follow the engine's rule set: add, reschedule and remove rule jobs."""
        wanted = {name: (rule.group, rule.interval) for name, rule in self._engine.rules.items()}
        for name in self._plans.keys() - wanted.keys():
            self._scheduler.remove_job(_RULE_JOB + name)
        for name, plan in wanted.items():
            if self._plans.get(name) != plan:
                self._add_rule_job(name, *plan)
        self._plans = wanted

    def _on_change(self, _changes: Mapping[str, Change]) -> None:
        self.sync()

    def _add_rule_job(self, name: str, group: str, interval: float) -> None:
        first = self._timing.next_due(group, interval, after=self._clock.now())
        trigger = IntervalTrigger(seconds=interval, start_date=to_datetime(first), timezone=UTC)
        self._scheduler.add_job(
            self._batcher.submit,
            trigger,
            args=[name],
            id=_RULE_JOB + name,
            name=f'rule "{name}"',
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=_grace(interval),
        )


def _grace(interval: float) -> int:
    # APScheduler wants a positive whole number of seconds.
    return max(1, round(interval))


class _SameTickBatcher:
    """Gathers rule names submitted in one event-loop pass into one ``run(names)`` call.

    APScheduler creates a task per due job in one pass; each task's first step calls
    :meth:`submit`, and the flush is queued behind them with ``call_soon``, so every job due at
    that instant joins the batch. Each job waits for its batch, so ``max_instances=1`` still
    means "no overlapping evaluations of one rule".
    """

    def __init__(self, run: Callable[[Sequence[str]], Awaitable[None]]) -> None:
        self._run = run
        self._pending: list[str] = []
        self._done: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, name: str) -> None:
        if self._done is None:
            loop = asyncio.get_running_loop()
            self._done = loop.create_future()
            loop.call_soon(self._flush)
        self._pending.append(name)
        await asyncio.shield(self._done)

    def _flush(self) -> None:
        names, done = self._pending, self._done
        self._pending, self._done = [], None
        assert done is not None
        task = asyncio.get_running_loop().create_task(self._run_batch(names, done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_batch(self, names: list[str], done: asyncio.Future[None]) -> None:
        try:
            await self._run(names)
        except asyncio.CancelledError:
            done.cancel()
            raise
        except Exception:  # RuleEngine.run reports rule failures itself, so this is a bug: log it
            log.exception("evaluation of rules %s failed", ", ".join(names))
        done.set_result(None)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
