"""`column IN (values)` for long lists of values, as one parameter."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Select, Text, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import BindParameter, ColumnElement


def among(conn: Connection, column: ColumnElement[Any], values: Collection[str]) -> ColumnElement[bool]:
    """`column IN (values)`, the values passed as one parameter: a JSON array
    on SQLite, an array on PostgreSQL. SQLAlchemy renders a plain IN list
    anew on every execution, a few microseconds a value; a scan's batch asks
    about thousands of articles, paths and tags at a time."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(Text)))
    as_json: BindParameter[str] = bindparam(None, json.dumps(list(values)))
    listed: Select[tuple[Any]] = select(literal_column("value")).select_from(func.json_each(as_json))
    return column.in_(listed.scalar_subquery())
