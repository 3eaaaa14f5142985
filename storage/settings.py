"""Per-deployment values created once and then kept, such as the receipt salt."""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import StorageError
from storage.models import Setting


async def get(session: AsyncSession, name: str) -> bytes | None:
    """Return the value of setting ``name``, or None if it was never created."""
    return await session.scalar(select(Setting.value).where(Setting.name == name))


async def get_or_create(session: AsyncSession, name: str, make: Callable[[], bytes]) -> bytes:
    """Return setting ``name``, creating it with ``make()`` on first use.

    Safe when two processes race on first start: the insert does nothing if the other one won
    (ON CONFLICT DO NOTHING on the unique name) and the stored value is re-read, so both end up
    with the same salt. ``make`` is called only when the setting is missing. Flushes; the caller
    commits.
    """
    value = await get(session, name)
    if value is not None:
        return value
    connection = await session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        await session.execute(
            postgresql.insert(Setting)
            .values(name=name, value=make())
            .on_conflict_do_nothing(index_elements=[Setting.name])
        )
    elif dialect == "sqlite":
        await session.execute(
            sqlite.insert(Setting)
            .values(name=name, value=make())
            .on_conflict_do_nothing(index_elements=[Setting.name])
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise StorageError(f"settings are not supported on {dialect}")
    value = await get(session, name)
    if value is None:  # pragma: no cover - the row exists after the insert or the conflict
        raise StorageError(f"setting {name!r} could not be created")
    return value
