"""The audit log's hash chain, `jaga audit verify`, and the triggers that keep the table
append-only below the ORM."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, models, transaction

from jaga.core.audit import append, compute_hash, log_action, maintenance, verify_chain
from jaga.core.models import AuditLog

pytestmark = pytest.mark.django_db


def _rows(village: Any, actor: Any, n: int = 4) -> list[AuditLog]:
    return [
        log_action(
            "test.action", village, actor=actor, before={"n": i}, after={"n": i + 1, "f": 2.5}
        )
        for i in range(n)
    ]


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify() -> str:
    out: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

        def flush(self) -> None:
            pass

    call_command("audit", "verify", stdout=Sink())
    return "".join(out)


def test_each_row_hashes_its_content_and_its_predecessor(alice, village_a):
    rows = _rows(village_a, alice)
    before = AuditLog.objects.filter(id__lt=rows[0].pk).order_by("-id").first()
    assert rows[0].prev_hash == (before.row_hash if before else "")
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row.prev_hash == prev.row_hash
    for row in rows:
        stored = AuditLog.objects.get(pk=row.pk)
        assert stored.row_hash == row.row_hash == compute_hash(stored)
        assert len(stored.row_hash) == 64


def test_verify_counts_an_intact_chain(alice, village_a):
    _rows(village_a, alice)
    total = AuditLog.objects.count()
    output = _verify()
    assert f": {total} " in output
    assert verify_chain().intact


def test_verify_names_an_edited_row(alice, village_a):
    rows = _rows(village_a, alice)
    with maintenance():
        _raw("UPDATE core_auditlog SET note = %s WHERE id = %s", ["nothing happened", rows[2].pk])
    with pytest.raises(CommandError, match=rf"baris {rows[2].pk} \(.*diubah"):
        _verify()


def test_verify_names_a_row_with_an_edited_value_inside_its_json(alice, village_a):
    rows = _rows(village_a, alice)
    with maintenance():
        _raw(
            "UPDATE core_auditlog SET after = %s WHERE id = %s",
            ['{"n": 99, "f": 2.5}', rows[1].pk],
        )
    report = verify_chain()
    assert report.broken is not None and report.broken.pk == rows[1].pk
    assert report.reason == "content"


def test_verify_names_the_row_after_a_deleted_one(alice, village_a):
    rows = _rows(village_a, alice)
    with maintenance():
        _raw("DELETE FROM core_auditlog WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match=rf"baris {rows[2].pk} \(.*dihapus"):
        _verify()


def test_verify_finds_a_row_slipped_in_between(alice, village_a):
    last = AuditLog.objects.order_by("-id").first()
    start = (last.pk if last else 0) + 1000
    first = append(AuditLog(id=start, action="test.a", object_type="x", object_id="1"))
    third = append(AuditLog(id=start + 2, action="test.c", object_type="x", object_id="3"))
    # A forger who knows the recipe hashes the inserted row correctly onto its predecessor...
    forged = AuditLog(id=start + 1, action="test.b", object_type="x", object_id="2")
    forged.prev_hash = first.row_hash
    forged.row_hash = compute_hash(forged)
    forged.save(force_insert=True)
    # ... but the row after it still points at the old predecessor.
    report = verify_chain()
    assert report.broken is not None and report.broken.pk == third.pk
    assert report.reason == "link"


def test_verify_finds_reordered_rows(alice, village_a):
    rows = _rows(village_a, alice)
    a, b = AuditLog.objects.get(pk=rows[1].pk), AuditLog.objects.get(pk=rows[2].pk)
    with maintenance():
        for target, source in ((a, b), (b, a)):
            _raw(
                "UPDATE core_auditlog SET before = %s, after = %s, prev_hash = %s, row_hash = %s"
                " WHERE id = %s",
                [
                    connection.ops.adapt_json_value(source.before, None),
                    connection.ops.adapt_json_value(source.after, None),
                    source.prev_hash,
                    source.row_hash,
                    target.pk,
                ],
            )
    report = verify_chain()
    assert report.broken is not None and report.broken.pk == rows[1].pk


def test_raw_sql_cannot_change_or_remove_audit_rows(alice, village_a):
    row = _rows(village_a, alice, 1)[0]
    for sql, params in (
        ("UPDATE core_auditlog SET note = %s WHERE id = %s", ["x", row.pk]),
        ("DELETE FROM core_auditlog WHERE id = %s", [row.pk]),
        ("DELETE FROM core_auditlog", []),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw(sql, params)
    assert AuditLog.objects.get(pk=row.pk).note == ""
    assert verify_chain().intact


def test_the_orm_bypasses_are_refused_too(alice, village_a):
    _rows(village_a, alice, 2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.all()._raw_delete(connection.alias)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        models.QuerySet.update(AuditLog.objects.filter(pk__gt=0), note="x")


def test_truncate_is_refused_on_postgresql(alice, village_a):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _rows(village_a, alice, 1)
    # The test's own transaction holds deferred foreign-key checks, which TRUNCATE would trip on.
    _raw("SET CONSTRAINTS ALL IMMEDIATE", [])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("TRUNCATE core_auditlog CASCADE", [])
    assert AuditLog.objects.exists()


def test_maintenance_ends_with_its_block(alice, village_a):
    row = _rows(village_a, alice, 1)[0]
    with maintenance():
        pass
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM core_auditlog WHERE id = %s", [row.pk])


def test_flush_refuses_a_database_that_is_not_a_test_database(settings, monkeypatch):
    from jaga.core.management.commands import flush

    monkeypatch.setattr(flush, "is_test_database", lambda alias: False)
    with pytest.raises(CommandError, match="log audit"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditLog.objects.count() >= 0  # the database is still there


# --- concurrent writers (PostgreSQL) -------------------------------------------------------------


@pytest.mark.usefixtures("_restore_after_flush")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(village_a: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; real concurrency needs PostgreSQL")
    start = AuditLog.objects.count()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    log_action("test.concurrent", village_a, after={"worker": worker, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditLog.objects.count() == start + 80
    hashes = list(AuditLog.objects.values_list("prev_hash", flat=True))
    assert len(hashes) == len(set(hashes)), "two rows hang on the same predecessor"
    report = verify_chain()
    assert report.intact, report
    assert report.count == start + 80


def test_an_anchor_kept_elsewhere_catches_a_rewritten_chain(alice, village_a):
    rows = _rows(village_a, alice, 3)
    output = _verify()
    anchor = f"{rows[-1].pk}:{rows[-1].row_hash}"
    assert f"--anchor {anchor}" in output
    call_command("audit", "verify", "--anchor", anchor, stdout=open_sink())
    # Someone past the triggers edits a row and re-hashes the whole chain from there on.
    with maintenance():
        prev = AuditLog.objects.get(pk=rows[0].pk).row_hash
        for row in AuditLog.objects.filter(pk__gte=rows[1].pk).order_by("id"):
            row.note = "rewritten"
            row.prev_hash = prev
            row.row_hash = compute_hash(row)
            models.QuerySet.update(
                AuditLog.objects.filter(pk=row.pk),
                note=row.note, prev_hash=row.prev_hash, row_hash=row.row_hash,
            )  # fmt: skip
            prev = row.row_hash
    assert verify_chain().intact  # the chain alone cannot tell...
    with pytest.raises(CommandError, match=str(rows[-1].pk)):  # ... the anchor can
        call_command("audit", "verify", "--anchor", anchor, stdout=open_sink())


def open_sink() -> Any:
    import io

    return io.StringIO()


def test_one_row_with_a_statement_along_the_lock(alice: Any, village_a: Any) -> None:
    """`Along`: the statement runs in the lock's round trip and its rows come back; the row is
    hashed onto the head as `compute_hash` says (on PostgreSQL the database joins the bytes)."""
    from jaga.analytics.models import MonthlyMetric
    from jaga.analytics.rollups import bump_metric, metrics_update
    from jaga.core.audit import Along

    moment = datetime.datetime(2026, 3, 5, tzinfo=datetime.UTC)
    bump_metric(village_a, moment, "test.along", 1, key="k")
    _rows(village_a, alice, 2)
    with transaction.atomic():
        moved = Along(*metrics_update(village_a, moment, ["test.along", "test.absent"], 2, "k"))
        entry = log_action(
            "test.along",
            village_a,
            actor=alice,
            after={"text": 'a "quoted" ünïcode', "x": 1.0},
            along=moved,
        )
    assert moved.rows == [{"metric": "test.along"}]
    assert MonthlyMetric.objects.get(metric="test.along", key="k").value == 3
    stored = AuditLog.objects.get(pk=entry.pk)
    assert stored.row_hash == entry.row_hash == compute_hash(stored)
    assert stored.prev_hash == AuditLog.objects.filter(pk__lt=entry.pk).order_by("-id")[0].row_hash
    assert verify_chain().intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements of one WITH")
def test_a_new_object_written_along_the_lock_gets_its_row_after(alice: Any, village_a: Any) -> None:
    """Several `Along` in one round trip: a later one reads an earlier one's new key by name,
    each one's `done` gets its rows, and the audit row of an object those statements wrote is
    made once they have run (its key and `after` then known)."""
    from django.utils import timezone

    from jaga.core.audit import Along
    from jaga.core.prepared import insert_statement, inserted
    from jaga.servicedesk.models import RequestUpdate, Service, ServiceRequest

    now = timezone.now()
    report = ServiceRequest(
        ticket="ALONG00001",
        token="t" * 24,
        service=Service.objects.get(code="knalpot_brong"),
        village=village_a,
        regency_code=village_a.regency_code,
        district_code=village_a.district_code,
        description="Knalpot brong.",
        channel="web",
        received_at=now,
        updated_at=now,
        due_at=now,
    )
    update = RequestUpdate(at=now, public=True, text="diterima", status_to="received")

    def keyed(obj: Any) -> Any:
        def done(rows: list[dict[str, Any]]) -> None:
            obj.pk = rows[0]["id"]
            inserted(obj, "default")

        return done

    written = insert_statement(report)
    first = insert_statement(update, source="report", from_source={"request": "id"})
    assert written is not None and first is not None
    along = [
        Along(*written, name="report", done=keyed(report)),
        Along(*first, name="received", done=keyed(update)),
    ]
    seen: list[Any] = []
    with transaction.atomic():
        entry = log_action(
            "test.written",
            report,
            actor=alice,
            after=lambda: seen.append(report.pk) or {"id": report.pk},
            along=along,
        )
    assert seen == [report.pk] and report.pk is not None
    assert entry.object_id == str(report.pk) and entry.after == {"id": report.pk}
    assert along[0].rows == [{"id": report.pk}] and along[1].rows == [{"id": update.pk}]
    assert RequestUpdate.objects.get(pk=update.pk).request_id == report.pk
    assert ServiceRequest.objects.get(pk=report.pk).ticket == report.ticket
    assert verify_chain().intact


def test_statements_along_the_lock_need_names_of_their_own(alice: Any, village_a: Any) -> None:
    from jaga.core.audit import Along

    if connection.vendor != "postgresql":
        pytest.skip("names matter in a WITH only")
    count = AuditLog.objects.count()
    for names in (["run", "run"], ["done"], ["x; DROP TABLE y"]):
        along = [Along("SELECT 1 AS one", [], name=name) for name in names]
        with pytest.raises(ValueError, match="names"), transaction.atomic():
            log_action("test.names", village_a, actor=alice, along=along)
    assert AuditLog.objects.count() == count
