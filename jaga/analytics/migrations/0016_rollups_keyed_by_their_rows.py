"""Both incident roll-ups are keyed by their rows: the primary key is the unique key it replaces,
(village, month, category) and (area code, month, category), and the `id` column goes.

Nothing refers to a roll-up row by its number: the writers add to a row found by what it counts,
and the rebuild corrects rows by their key. Without the numbering a rebuild that builds a table
anew writes no row numbers and builds no index of them (BENCHMARKS.md, *Rebuild, fifteenth
session*), and every insert of a running count writes one index fewer.

PostgreSQL: the unique constraint and the `id` column are dropped and the primary key is added
on the same columns (the area key still carries the count, INCLUDE, as migration 0014 made it);
grants, triggers and the other indexes stay. SQLite cannot drop a primary key column: the table
is made again as the model now is, its rows copied, its triggers (migration 0008) made again.
Backwards the rows are numbered anew.
"""

from typing import Any

from django.db import migrations, models
from django.db.migrations.operations.base import Operation


def _remake_sqlite(schema_editor: Any, model: Any) -> None:
    """Make the SQLite table of `model` again as the model is, with the rows of the old one
    (the columns they share) and its triggers."""
    table = model._meta.db_table
    quote = schema_editor.quote_name
    old = f"{table}__before"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master"
            " WHERE tbl_name = %s AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            [table],
        )
        kept = cursor.fetchall()
        cursor.execute(f"PRAGMA table_info({quote(table)})")
        before = {row[1] for row in cursor.fetchall()}
    for kind, name, _sql in kept:
        if kind == "index":  # index names are the schema's: made again by create_model
            schema_editor.execute(f"DROP INDEX {quote(name)}")
    schema_editor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(old)}")
    schema_editor.create_model(model)
    columns = ", ".join(
        quote(f.column) for f in model._meta.local_concrete_fields if f.column in before
    )
    schema_editor.execute(
        f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {quote(old)}"  # noqa: S608
    )
    schema_editor.execute(f"DROP TABLE {quote(old)}")  # and its triggers
    for kind, _name, sql in kept:
        if kind == "trigger":
            schema_editor.execute(sql)


class KeyedByTheirRows(Operation):
    """The model's unique constraint `unique` on `key` becomes its primary key (composite) and
    its `id` goes; on PostgreSQL the key's index carries the `include` columns."""

    reversible = True

    def __init__(
        self, model_name: str, unique: str, key: list[str], include: list[str] | None = None
    ) -> None:
        self.model_name = model_name
        self.unique = unique
        self.key = key
        self.include = include or []

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {"model_name": self.model_name, "unique": self.unique, "key": self.key}
        if self.include:
            kwargs["include"] = self.include
        return self.__class__.__name__, [], kwargs

    def _state_operations(self) -> list[Operation]:
        return [
            migrations.RemoveConstraint(model_name=self.model_name, name=self.unique),
            migrations.RemoveField(model_name=self.model_name, name="id"),
            migrations.AddField(
                model_name=self.model_name,
                name="pk",
                field=models.CompositePrimaryKey(
                    *self.key, blank=True, editable=False, primary_key=True, serialize=False
                ),
            ),
        ]

    def state_forwards(self, app_label: str, state: Any) -> None:
        for operation in self._state_operations():
            operation.state_forwards(app_label, state)

    def _names(self, model: Any) -> tuple[str, str, str, str]:
        table = model._meta.db_table
        include = f" INCLUDE ({', '.join(self.include)})" if self.include else ""
        return table, f"{table}_pkey", ", ".join(self.key), include

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            _remake_sqlite(schema_editor, model)
            return
        table, pkey, key, include = self._names(model)
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.unique}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN id")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {pkey} PRIMARY KEY ({key}){include}"
        )

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "postgresql":
            _remake_sqlite(schema_editor, model)
            return
        table, pkey, key, include = self._names(model)
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {pkey}")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN id bigint GENERATED BY DEFAULT AS IDENTITY"
        )
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {pkey} PRIMARY KEY (id)")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {self.unique} UNIQUE ({key}){include}"
        )

    def describe(self) -> str:
        return f"{self.model_name} keyed by ({', '.join(self.key)})"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name}_keyed"


class Migration(migrations.Migration):
    dependencies = [("analytics", "0015_no_village_district_index")]

    operations = [
        KeyedByTheirRows(
            "monthlyincidentcount",
            "monthly_incident_count_key",
            ["village_id", "month", "category_id"],
        ),
        KeyedByTheirRows(
            "areamonthlycount",
            "area_monthly_count_key",
            ["area_code", "month", "category_id"],
            include=["count"],
        ),
    ]
