"""Configuration: YAML files a person wrote -> validated, typed objects.

Every error carries ``path:line:col`` and says what was expected (see :mod:`alerter.errors`).
"""
