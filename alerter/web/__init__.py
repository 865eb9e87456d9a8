"""Web stage: the HTTP API and pages. The ONE place FastAPI/Starlette is imported.

Place in the flow: the outermost stage beside the CLI; it reads and writes through the stores
(:mod:`alerter.incidents`) and the pure stages, and never holds state of its own. Routers are
built by factories that take their store, clock and credentials (``maintenance_router``), so the
composition root (:mod:`alerter.app`) mounts them and tests build them against a temp database.
"""
