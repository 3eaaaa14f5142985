"""The one clock storage uses: a UTC day, never a finer time."""

from datetime import UTC, date, datetime


def today() -> date:
    """Return today's date in UTC.

    Day only: a finer time could de-anonymise the worker (it could be matched to shift patterns or
    to the moment a phone was seen in use). UTC so the day does not depend on the server's zone.
    """
    return datetime.now(UTC).date()
