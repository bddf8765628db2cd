"""jaga.core.prepared: the same rows as the queryset, compiled once."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from jaga.accounts.models import Posting
from jaga.core.prepared import Prepared, insert
from jaga.territory.models import Level, Territory

pytestmark = pytest.mark.django_db


def test_same_rows_as_the_queryset_and_compiled_once(village_a: Territory) -> None:
    villages = Prepared(
        Territory, lambda code: Territory.objects.filter(code=code, level=Level.VILLAGE), str
    )
    code = Territory.objects.filter(level=Level.VILLAGE).order_by("code").first().code
    expected = Territory.objects.filter(code=code, level=Level.VILLAGE).first()
    assert villages.first(code) == expected
    assert villages.first(code).name == expected.name
    assert villages.all(code) == [expected]
    with mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")):
        assert villages.first(code) == expected
        assert villages.first("no-such-code") is None
        assert villages.all(code) == [expected]  # each of first() and all() compiled once


def test_select_related_and_key(alice: Any) -> None:
    postings = Prepared(
        Posting,
        lambda user_id, on: (
            Posting.objects.active(on)
            .filter(user_id=user_id)
            .select_related("user", "territory")
            .order_by("id")
        ),
        int,
    )
    today = datetime.date.today()
    expected = list(Posting.objects.active(today).filter(user_id=alice.pk).order_by("id"))
    found = postings.all(alice.pk, key=today)
    assert found == expected and found
    assert found[0].user.username == alice.username  # read with the posting, as select_related
    assert "user" in found[0]._state.fields_cache
    assert postings.all(alice.pk, key=datetime.date(1990, 1, 1)) == []


def test_values_must_be_plain() -> None:
    with pytest.raises(TypeError):
        Prepared(Territory, lambda on: Territory.objects.filter(valid_from=on), datetime.date)
    villages = Prepared(Territory, lambda code: Territory.objects.filter(code=code), str)
    with pytest.raises(TypeError):
        villages.all(3503)


def _row(obj: Any) -> dict[str, Any]:
    return {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }


def test_insert_writes_the_row_create_writes_without_compiling(alice: Any) -> None:
    from django.db.models.sql.compiler import SQLInsertCompiler

    from jaga.servicedesk.models import Open311Client

    made = Open311Client.objects.create(name="Dasbor", prefix="dsb", key_hash="a" * 64)
    first = insert(Open311Client(name="Dasbor", prefix="dsb", key_hash="b" * 64, created_by=alice))
    with mock.patch.object(SQLInsertCompiler, "as_sql", side_effect=AssertionError("compiled")):
        row = insert(Open311Client(name="Dasbor", prefix="dsb", key_hash="c" * 64))
    assert row.pk is not None and not row._state.adding and row._state.db == "default"
    assert first.created_by_id == alice.pk
    stored = Open311Client.objects.get(pk=row.pk)
    assert row.created_at is not None  # auto_now_add, as save() sets it
    assert _row(stored) == _row(row)
    assert {k: v for k, v in _row(stored).items() if k not in ("key_hash", "created_at")} == {
        k: v for k, v in _row(made).items() if k not in ("key_hash", "created_at")
    }


def test_insert_leaves_a_model_with_more_to_saving_to_save() -> None:
    from django_tasks_db.models import DBTaskResult

    from jaga.servicedesk.models import PhotoHost

    host = insert(PhotoHost(host=" Media.Example.org. "))  # its own save() normalises the host
    assert PhotoHost.objects.get(pk=host.pk).host == "media.example.org"
    # A pre_save receiver (django_tasks_db sets the run_after) runs as in save().
    task = DBTaskResult(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="jaga.notifications.tasks.notify_officers",
        backend_name="default",
    )
    insert(task)
    assert DBTaskResult.objects.get(pk=task.pk).run_after is not None


def test_an_insert_statement_with_nulls_written_in_writes_the_same_row(alice: Any) -> None:
    from django.db import connection

    from jaga.core.prepared import insert_statement, inserted
    from jaga.servicedesk.models import Open311Client

    row = Open311Client(name="Dasbor", prefix="dsb", key_hash="d" * 64)  # created_by NULL
    statement = insert_statement(row, null_literals=True)
    assert statement is not None
    sql, params = statement
    assert "NULL" in sql and None not in params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row.pk = (
            cursor.fetchone()[0]
            if connection.features.can_return_columns_from_insert
            else (connection.ops.last_insert_id(cursor, Open311Client._meta.db_table, "id"))
        )
    inserted(row, "default")
    stored = Open311Client.objects.get(pk=row.pk)
    assert stored.created_by_id is None and _row(stored) == _row(row)
    with pytest.raises(ValueError, match="not the name"):
        insert_statement(
            Open311Client(name="x", prefix="x", key_hash="e" * 64),
            source="x; DROP TABLE y",
            from_source={"created_by": "id"},
        )
