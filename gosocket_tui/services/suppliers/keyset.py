"""Keyset pages: a cursor is the sort key of a row, so a page costs the same at row 10 and at
row 999,990, and "last page" is the first page backwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import peewee

Direction = Literal["forward", "backward"]
MAX_PAGE = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class KeysetSlice(Generic[T]):
    """One page of records in ascending order, and whether rows exist on either side."""

    items: list[T]
    has_before: bool
    has_after: bool


def keyset_slice(
    query: Any,
    column: Any,
    id_column: Any,
    *,
    cursor: tuple[str, int] | None,
    direction: Direction,
    limit: int,
    inclusive: bool = False,
) -> KeysetSlice[Any]:
    """The records of ``query`` next to ``cursor`` in the order (``column``, ``id_column``).

    ``cursor`` is the (``column``, ``id_column``) key of the row next to the page; forward
    gives the rows after it (or from it with ``inclusive``), backward the rows before it, still
    in ascending order. No cursor: forward is the first page, backward the last.
    """
    limit = max(1, min(limit, MAX_PAGE))
    if cursor is not None:
        key = peewee.Tuple(column, id_column)
        value = peewee.Tuple(*cursor)
        if direction == "forward":
            query = query.where(key >= value if inclusive else key > value)
        else:
            query = query.where(key <= value if inclusive else key < value)
    if direction == "forward":
        query = query.order_by(column, id_column)
    else:
        query = query.order_by(column.desc(), id_column.desc())
    records = list(query.limit(limit + 1))
    more = len(records) > limit
    records = records[:limit]
    if direction == "backward":
        records.reverse()
        return KeysetSlice(records, has_before=more, has_after=cursor is not None)
    return KeysetSlice(records, has_before=cursor is not None, has_after=more)
