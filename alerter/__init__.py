"""alerter: YAML rules over InfluxDB -> Riemann-style events -> correlated incidents -> on-call pages.

The package layout is the data flow (see README "Architecture"):

    config/ -> source/ -> evaluate/ -> streams/ -> incidents/ -> route/ -> notify/ -> web/

A stage may use earlier stages' types, never later ones; ``app.py`` is the composition root and the
only place (with ``cli``) that imports ``integrations``.
"""

__version__ = "0.1.0"
