"""Delivery failures. `DeliveryError` fails the run as a whole: nothing is committed, everything is re-sent."""

from __future__ import annotations

from runtime.errors import RuntimeFailure


class DeliveryError(RuntimeFailure):
    """The data store refused or could not be reached (credentials, a failed import operation, retries spent)."""
