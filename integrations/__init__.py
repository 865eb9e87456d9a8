"""Adapters to outside systems; only the composition root (alerter/app.py, alerter/cli) imports them."""
