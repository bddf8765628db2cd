"""`jaga backup` / `jaga restore`: every table round-trips, within and across database engines.

The source is the test database, filled through the services (reports with their workflow, audit
rows and roll-ups, an incident, postings, a photo). Each target is a fresh database of its own,
migrated and restored by the `jaga` command in a subprocess, then backed up again: the two
archives and the source tables must hold the same rows, table by table.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from jaga.core.backup import backup_models, create_backup, restore_backup, table_rows
from jaga.core.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
JAGA = str(Path(sys.executable).with_name("jaga"))
PG_URL = os.environ.get("JAGA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


# ---------------------------------------------------------------- target databases


def jaga_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="1",
        JAGA_DATA_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "restored-media"),
        JAGA_PROTECTED_MEDIA_ROOT=str(tmp_path / "restored-protected"),
    )
    return env


def jaga(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JAGA, *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


RUN_COMMANDS = (
    "import json, sys; from jaga.cli import main\n"
    "for command in json.loads(sys.argv[1]):\n"
    "    main(command)\n"
)


def jaga_steps(env: dict[str, str], *commands: list[str]) -> subprocess.CompletedProcess[str]:
    """Several `jaga` commands in one process, one after the other (a start costs seconds)."""
    return subprocess.run(
        [sys.executable, "-c", RUN_COMMANDS, json.dumps(list(commands))],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: Any) -> Path:
    """One migrated, empty SQLite file; tests copy it instead of migrating again."""
    base = tmp_path_factory.mktemp("template")
    path = base / "empty.sqlite3"
    ok(jaga(jaga_env(f"sqlite:///{path}", base), "migrate", "--no-input", "-v", "0"))
    return path


@pytest.fixture
def fresh_sqlite(migrated_sqlite: Path, tmp_path: Path) -> Callable[[], str]:
    count = iter(range(100))

    def make() -> str:
        path = tmp_path / f"target-{next(count)}.sqlite3"
        shutil.copy(migrated_sqlite, path)
        return f"sqlite:///{path}"

    return make


MIGRATE = ["migrate", "--no-input", "-v", "0"]


def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)


@pytest.fixture
def fresh_postgres(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Fresh PostgreSQL databases of this test run (skipped where no PostgreSQL answers)."""
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: no PostgreSQL here
        pytest.skip(f"no PostgreSQL at {PG_URL}: {exc}")
    made: list[str] = []
    prefix = f"jaga_restore_{os.getpid()}"

    def make() -> str:
        """An empty database; the caller migrates it (`MIGRATE`) in its own first process."""
        name = f"{prefix}_{len(made)}"
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return PG_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    for name in made:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


# ---------------------------------------------------------------- the source


def _photo() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def populated(
    db: Any,
    settings: Any,
    tmp_path: Path,
    alice: Any,
    bob: Any,
    partner: Any,
    admin_user: Any,
    village_a: Any,
) -> None:
    """Records written the way Jaga writes them: services, audit rows, roll-ups, a photo."""
    from jaga.incidents.models import Category
    from jaga.incidents.services import record_incident
    from jaga.servicedesk import services
    from jaga.servicedesk.models import Channel, Service, Status

    settings.MEDIA_ROOT = str(tmp_path / "media")
    service = Service.objects.get(code="knalpot_brong")
    first, _ = services.submit_request(
        service=service,
        village=village_a,
        description="Knalpot brong “tiap malam” — ünïcode.",
        channel=Channel.WEB,
        reporter_name="Siti",
        phone="+6281234567890",
        photos=[_photo()],
    )
    services.transition_request(first, Status.ASSIGNED, actor=bob, assignee=alice)
    services.transition_request(first, Status.IN_PROGRESS, actor=alice, note="Ke lokasi.")
    services.submit_request(
        service=service,
        village=village_a,
        description="Kedua.",
        channel=Channel.WEB,
        anonymous=True,
        idempotency_key="abc",
    )
    category = Category.objects.filter(children__isnull=True).order_by("code").first()
    assert category is not None
    record_incident(
        category=category,
        village=village_a,
        occurred_at=datetime.datetime(2024, 3, 5, 22, 30, tzinfo=datetime.UTC),
        source="register",
        source_ref="R-1",
        latitude=-8.05,
        longitude=111.7,
        description="Pencurian.",
    )


def archive_tables(path: Path) -> dict[str, list[Any]]:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return {
            label: [json.loads(line) for line in archive.read(f"data/{label}.jsonl").splitlines()]
            for label in manifest["tables"]
        }


def source_tables() -> dict[str, list[Any]]:
    # Through JSON, as the archive holds them.
    return {m._meta.label: json.loads(json.dumps(list(table_rows(m)))) for m in backup_models()}


def assert_same_tables(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> None:
    assert sorted(got) == sorted(want)
    different = [label for label in want if got[label] != want[label]]
    assert different == [], different
    # Not a vacuous comparison: the interesting tables hold rows.
    for label in [
        "core.AuditLog",
        "accounts.User",
        "accounts.Posting",
        "servicedesk.ServiceRequest",
        "servicedesk.Attachment",
        "incidents.Incident",
        "analytics.MonthlyMetric",
        "territory.Territory",
        "auth.Permission",
    ]:
        assert want[label], label


def round_trip(source: Path, target_url: str, tmp_path: Path, name: str) -> Path:
    """Migrate (a no-op on a migrated copy), restore, back up again: one `jaga` process."""
    again = tmp_path / f"{name}.zip"
    env = jaga_env(target_url, tmp_path)
    ok(jaga_steps(env, MIGRATE, ["restore", str(source)], ["backup", "--media", str(again)]))
    return again


# ---------------------------------------------------------------- round trips


@pytest.mark.heavy
def test_a_backup_restores_into_an_empty_database_of_the_same_engine(
    populated: None, tmp_path: Path, fresh_sqlite: Any, request: Any
) -> None:
    fresh = (
        fresh_sqlite if connection.vendor == "sqlite" else request.getfixturevalue("fresh_postgres")
    )
    path = tmp_path / "source.zip"
    result = create_backup(path, media=True)
    assert result.media_files == 1
    want = source_tables()
    again = round_trip(path, fresh(), tmp_path, "again")
    assert_same_tables(archive_tables(again), want)
    assert archive_tables(path) == want
    # The photo (a private file, outside the public media folder) came back, byte for byte.
    (photo,) = (tmp_path / "protected").rglob("*.jpg")
    restored = tmp_path / "restored-protected" / photo.relative_to(tmp_path / "protected")
    assert restored.read_bytes() == photo.read_bytes()


@pytest.mark.heavy
def test_a_backup_crosses_between_sqlite_and_postgresql_and_back(
    populated: None, tmp_path: Path, fresh_sqlite: Any, fresh_postgres: Any
) -> None:
    path = tmp_path / "source.zip"
    create_backup(path)
    want = source_tables()
    other, same = (
        (fresh_postgres, fresh_sqlite)
        if connection.vendor == "sqlite"
        else (fresh_sqlite, fresh_postgres)
    )
    across = round_trip(path, other(), tmp_path, "across")
    assert_same_tables(archive_tables(across), want)
    back = round_trip(across, same(), tmp_path, "back")
    assert_same_tables(archive_tables(back), want)


# ---------------------------------------------------------------- refusals


def rewrite(
    path: Path,
    out: Path,
    change: Callable[[dict[str, Any], dict[str, bytes]], None],
    *,
    reseal: bool = True,
) -> Path:
    """Copy an archive with `change` applied to its manifest and files; reseal the checksums."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    manifest.pop("checksum")
    change(manifest, members)
    if reseal:
        for label, info in manifest["tables"].items():
            info["sha256"] = hashlib.sha256(members[f"data/{label}.jsonl"]).hexdigest()
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    manifest["checksum"] = hashlib.sha256(canonical.encode()).hexdigest()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            archive.writestr(name, data)
    return out


def test_restore_refuses_a_database_in_use_unless_forced(populated: None, tmp_path: Path) -> None:
    path = tmp_path / "source.zip"
    create_backup(path)
    want = source_tables()
    with pytest.raises(DomainError) as refused:
        restore_backup(path)
    assert refused.value.code == "database_not_empty"
    # Forced: everything is replaced by the backup's rows (here: the same rows, new inserts).
    cache.set("jaga:dash:1:dashboard:country:stale", "figures of the rows replaced")
    result = restore_backup(path, force=True)
    assert result.rows == sum(len(rows) for rows in want.values())
    assert source_tables() == want
    # Nothing cached from the replaced rows is served after the restore.
    assert cache.get("jaga:dash:1:dashboard:country:stale") is None


def test_restore_refuses_damaged_or_foreign_archives_and_changes_nothing(
    populated: None, tmp_path: Path, alice: Any
) -> None:
    from jaga.accounts.models import Posting

    path = tmp_path / "source.zip"
    create_backup(path)
    Posting.objects.filter(user=alice).delete()  # differs from the backup from here on
    before = source_tables()

    def flip_a_byte(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        members["data/accounts.User.jsonl"] = members["data/accounts.User.jsonl"].replace(
            b"alice", b"alicf"
        )

    def newer(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        manifest["version"] = 2

    def other_schema(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        manifest["migrations"].append(["core", "9999_future"])

    def dangling(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        # A posting of a user who is not in the backup: found only when the rows are checked.
        rows = [json.loads(line) for line in members["data/accounts.Posting.jsonl"].splitlines()]
        columns = manifest["tables"]["accounts.Posting"]["columns"]
        rows[-1][columns.index("user_id")] = 999_999
        members["data/accounts.Posting.jsonl"] = b"".join(
            json.dumps(r).encode() + b"\n" for r in rows
        )

    def escape_media(manifest: dict[str, Any], members: dict[str, bytes]) -> None:
        manifest["media"]["protected/../../evil.txt"] = hashlib.sha256(b"x").hexdigest()
        members["media/protected/../../evil.txt"] = b"x"

    cases = [
        (rewrite(path, tmp_path / "flip.zip", flip_a_byte, reseal=False), "backup_checksum"),
        (rewrite(path, tmp_path / "v2.zip", newer), "backup_version"),
        (rewrite(path, tmp_path / "schema.zip", other_schema), "backup_schema"),
        (rewrite(path, tmp_path / "dangling.zip", dangling), "backup_rows"),
        (rewrite(path, tmp_path / "media.zip", escape_media), "backup_media"),
    ]
    not_a_backup = tmp_path / "plain.zip"
    not_a_backup.write_bytes(b"not a zip at all")
    cases.append((not_a_backup, "not_a_backup"))
    tampered_manifest = tmp_path / "manifest.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered_manifest, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["accounts.User"]["rows"] += 1
                data = json.dumps(manifest).encode()
            out.writestr(name, data)
    cases.append((tampered_manifest, "backup_checksum"))
    for archive, code in cases:
        with pytest.raises(DomainError) as refused:
            restore_backup(archive, force=True)
        assert refused.value.code == code, archive
        assert str(refused.value.message)
        assert source_tables() == before, archive
    assert not (tmp_path / "evil.txt").exists()
    # The intact archive restores (the deleted postings come back).
    restore_backup(path, force=True)
    assert Posting.objects.filter(user=alice).exists()


def test_the_restore_command_answers_a_refusal_with_a_message(db: Any, tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "plain.zip"
    path.write_bytes(b"PK not really")
    with translation.override("id"), pytest.raises(CommandError, match="bukan cadangan Jaga"):
        call_command("restore", str(path))
    with translation.override("en"), pytest.raises(CommandError, match="not a Jaga backup"):
        call_command("restore", str(path))


def test_backup_does_not_overwrite_a_file_without_being_told(db: Any, tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "b.zip"
    path.write_bytes(b"keep me")
    with pytest.raises(CommandError):
        call_command("backup", str(path))
    assert path.read_bytes() == b"keep me"
