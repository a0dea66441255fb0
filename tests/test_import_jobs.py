"""Large imports in the background: a file of more than SMEDASH_IMPORT_INLINE_ROWS rows is checked,
then (once its owner confirms) written, by a task that the real worker (`manage.py db_worker`, one
batch) runs; its status page follows it, then shows the result or every row's problems.

The threshold is lowered to 20 rows here, so that the files stay small and the tests quick. The
tests that run the worker use real transactions (``transaction=True``): the worker checks its
database connection as it would in production, and the import commits or rolls back for real.
"""

import csv
import html
import io
import signal
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django_tasks_db.models import DBTaskResult

from indicators import import_jobs, importing
from indicators.models import ImportJob, Observation

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT_URL = "/{lang}/admin/indicators/observation/import/"
JOB_URL = "/{lang}/admin/indicators/observation/import/jobs/{pk}/"
PROGRESS_URL = JOB_URL + "progress/"
SOURCE = "002_bb35e3d40c82847a.txt"
INLINE_ROWS = 20


@pytest.fixture(autouse=True)
def leave_no_language_active():
    yield
    translation.deactivate()


def make_editor(name):
    call_command("create_roles", stdout=io.StringIO())
    user = User.objects.create_user(name, password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    return user


@pytest.fixture
def editor(seeded):
    return make_editor("sara")


@pytest.fixture
def editor_client(client, editor, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the uploads, and the count of figures written, are kept under var/imports
    settings.SMEDASH_IMPORT_INLINE_ROWS = INLINE_ROWS
    client.force_login(editor)
    return client


def new_rows(count):
    """New firm shares for Iran, one a year: none is in the seed, and no two are alike."""
    return [
        {"area": "IRN", "indicator": "firm_share", "year": str(1950 + n), "value": f"{60 + n / 10:.1f}",
         "source": SOURCE, "quote": f"Share number {n}."}
        for n in range(count)
    ]  # fmt: skip


def to_csv(records):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode("utf-8")


def upload(client, content, lang="en", name="rows.csv", **options):
    data = {"file": SimpleUploadedFile(name, content), "lang": "en", **options}
    return client.post(IMPORT_URL.format(lang=lang), data)


def page(client, job, lang="en"):
    response = client.get(JOB_URL.format(lang=lang, pk=job.pk))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def confirm(client, job, lang="en"):
    return client.post(JOB_URL.format(lang=lang, pk=job.pk), {"confirm": "1"}, follow=True)


def run_worker():
    """The real worker, for one batch: every task queued, then it stops. It installs its own
    signal handlers (to stop cleanly); the test process gets its own back."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


def translated(lang, msgid, plural=None, count=None, **params):
    with translation.override(lang):
        text = ngettext(msgid, plural, count) if plural else gettext(msgid)
        if lang != "en":
            assert text != msgid, f"{msgid!r} has no {lang} translation"
        return text % params if params else text


def job_dir():
    """Where uploads wait, and the count of figures written is kept."""
    return django_settings.VAR_DIR / "imports"


def checked_job(client, records, lang="en"):
    """A job whose file the worker has checked, waiting for its owner's confirmation."""
    upload(client, to_csv(records), lang=lang)
    job = ImportJob.objects.latest("pk")
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED
    return job


def test_a_big_file_is_checked_then_written_by_the_worker_with_its_progress_in_the_users_language(
    editor_client, editor
):
    before = Observation.objects.count()
    response = upload(editor_client, to_csv(new_rows(30)), lang="fa")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == JOB_URL.format(lang="fa", pk=job.pk)
    assert (job.status, job.user, job.file_name, job.lang, job.publish) == ("queued", editor, "rows.csv", "en", False)
    queued = page(editor_client, job, "fa")
    assert translated("fa", "waiting for the background worker") in queued
    assert translated("fa", "Waiting for the background worker to check the file.") in queued
    assert "/static/js/import_job.js" in queued and '<meta http-equiv="refresh"' in queued  # followed by itself

    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_checked, job.rows_total, job.rows_to_write) == ("checked", 30, 30, 30)
    assert job.counts == {"new": 30, "changed": 0, "unchanged": 0, "rejected": 0}
    assert Observation.objects.count() == before  # checked, nothing written
    preview = page(editor_client, job, "fa")
    assert translated("fa", "%(shown)s figure to add", "%(shown)s figures to add", 30, shown="۳۰") in preview
    assert 'name="confirm"' in preview and "import_job.js" not in preview

    response = confirm(editor_client, job, "fa")
    job.refresh_from_db()
    assert (job.status, job.confirmed_at is not None) == ("queued", True)
    assert translated("fa", "Waiting for the background worker to write the figures.") in html.unescape(
        response.content.decode()
    )
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.finished_at is not None, job.message) == ("done", 30, True, "")
    assert Observation.objects.count() == before + 30
    written = Observation.objects.get(quote="Share number 29.")
    assert (written.status, written.year, written.value) == ("draft", 1979, Decimal("62.9"))
    record = written.history.get()
    assert record.history_user == editor
    assert record.history_change_reason == translated("fa", "Imported from %(file)s", file="rows.csv")
    done = page(editor_client, job, "fa")
    assert (
        translated(
            "fa",
            "Import done: %(new)s added, %(changed)s changed, %(unchanged)s unchanged.",
            new="۳۰",
            changed="۰",
            unchanged="۰",
        )
        in done
    )
    assert translated("fa", "done") in done
    progress = editor_client.get(PROGRESS_URL.format(lang="fa", pk=job.pk)).json()
    assert (progress["status"], progress["value"], progress["max"]) == ("done", 30, 30)
    # The import page lists the job, for its owner to find it again.
    listed = html.unescape(editor_client.get(IMPORT_URL.format(lang="fa")).content.decode())
    assert JOB_URL.format(lang="fa", pk=job.pk) in listed


def test_the_status_page_shows_the_figures_written_while_the_transaction_is_open(editor_client, monkeypatch):
    monkeypatch.setattr(importing, "PROGRESS_ROWS", 10)
    job = checked_job(editor_client, new_rows(25))
    confirm(editor_client, job)
    seen, record = [], import_jobs.record_progress

    def and_look(job, written):
        record(job, written)
        seen.append(editor_client.get(PROGRESS_URL.format(lang="en", pk=job.pk)).json())

    monkeypatch.setattr(import_jobs, "record_progress", and_look)
    run_worker()
    assert [(s["status"], s["value"], s["max"]) for s in seen] == [
        ("writing", 0, 25),
        ("writing", 10, 25),
        ("writing", 20, 25),
        ("writing", 25, 25),
    ]
    assert seen[1]["text"] == "10 of 25 figures written…"
    job.refresh_from_db()
    assert job.status == "done"
    assert not list(job_dir().glob("*.progress"))  # the count is gone with the job


def test_an_error_in_the_last_row_writes_nothing_and_the_job_keeps_the_errors(editor_client):
    before = Observation.objects.count()
    records = new_rows(30)
    records[-1]["value"] = "120"  # row 31 of the file, the header being row 1
    upload(editor_client, to_csv(records), lang="ar")
    job = ImportJob.objects.get()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.failure, job.finished_at is not None) == ("failed", "rows", True)
    assert job.counts == {"new": 29, "changed": 0, "unchanged": 0, "rejected": 1}
    # The problems are kept (not the 29 good rows), in the language the file was sent in.
    assert [(row["number"], row["problems"]) for row in job.rows] == [
        (31, [{"column": "value", "message": "الحصة نسبة مئوية: يجب أن تكون بين ٠ و١٠٠."}])
    ]
    assert Observation.objects.count() == before
    shown = page(editor_client, job, "ar")
    assert "الصف ٣١، العمود <code>value</code>: الحصة نسبة مئوية: يجب أن تكون بين ٠ و١٠٠." in shown
    assert translated("ar", "not imported") in shown
    assert 'name="confirm"' not in shown
    assert list(job_dir().iterdir()) == []  # the upload is not kept
    # Nothing to confirm: a confirmation queues nothing.
    confirm(editor_client, job)
    job.refresh_from_db()
    assert job.status == "failed" and DBTaskResult.objects.count() == 1


def test_figures_written_by_someone_else_before_the_last_batch_make_the_import_write_nothing(
    editor_client, monkeypatch
):
    """The figures are written in batches, with their progress, but in one transaction."""
    monkeypatch.setattr(importing, "PROGRESS_ROWS", 10)
    records = new_rows(30)
    job = checked_job(editor_client, records)
    confirm(editor_client, job)
    real_apply = import_jobs.apply_plan

    def someone_else_first(plan, **kwargs):
        # Another import writes the last row's figure after this one's second check.
        twin = plan.rows[-1].observation
        Observation.objects.create(
            area=twin.area, indicator=twin.indicator, source=twin.source, value=twin.value, quote="Meanwhile."
        )
        return real_apply(plan, **kwargs)

    monkeypatch.setattr(import_jobs, "apply_plan", someone_else_first)
    before = Observation.objects.count()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.failure, job.rows_written) == ("failed", "file", 0)
    assert job.message.startswith("Nothing was imported: some of these figures were written by someone else")
    assert Observation.objects.count() == before + 1  # the other one's figure, none of the file's
    assert not Observation.objects.filter(quote__in=[r["quote"] for r in records]).exists()
    assert job.message in page(editor_client, job)


def test_another_editor_cannot_see_or_confirm_the_job_and_a_superuser_can_see_it(editor_client, client):
    job = checked_job(editor_client, new_rows(21))
    other = make_editor("omid")
    client.force_login(other)
    for url in (JOB_URL, PROGRESS_URL):
        assert client.get(url.format(lang="en", pk=job.pk)).status_code == 404
    assert client.post(JOB_URL.format(lang="en", pk=job.pk), {"confirm": "1"}).status_code == 404
    assert JOB_URL.format(lang="en", pk=job.pk) not in client.get(IMPORT_URL.format(lang="en")).content.decode()
    # Staff who may not import see no job at all.
    client.force_login(User.objects.create_user("guest", password="a-long-guest-password", is_staff=True))
    assert client.get(JOB_URL.format(lang="en", pk=job.pk)).status_code == 403
    # A superuser sees it, but only its owner may confirm it.
    client.force_login(User.objects.create_superuser("root", password="a-long-root-password"))
    seen = page(client, job)
    assert "sara" in seen and 'name="confirm"' not in seen
    assert client.post(JOB_URL.format(lang="en", pk=job.pk), {"confirm": "1"}).status_code == 403
    job.refresh_from_db()
    assert job.status == "checked"
    # The task queue's own admin pages, in English only, are not in the admin.
    assert "Task Results" not in client.get("/fa/admin/").content.decode()


def test_confirming_twice_imports_once(editor_client):
    before = Observation.objects.count()
    job = checked_job(editor_client, new_rows(21))
    confirm(editor_client, job)
    second = confirm(editor_client, job, "fa")  # a double click, or another tab
    assert translated("fa", "This file is being imported: its figures will be in the list when it is done.") in (
        html.unescape(second.content.decode())
    )
    assert DBTaskResult.objects.filter(task_path="indicators.import_jobs.write_import").count() == 1
    run_worker()
    third = confirm(editor_client, job, "ar")
    assert translated("ar", "This file has already been imported.") in html.unescape(third.content.decode())
    assert Observation.objects.count() == before + 21
    assert Observation.history.filter(history_change_reason="Imported from rows.csv").count() == 21
    job.refresh_from_db()
    assert job.status == "done"


def test_a_job_that_crashes_is_marked_failed_with_a_message_and_writes_nothing(editor_client, monkeypatch):
    job = checked_job(editor_client, new_rows(21))
    confirm(editor_client, job, "fa")

    def broken(observations):
        raise RuntimeError("the coverage could not be counted")

    # After every figure is written, inside the transaction.
    monkeypatch.setattr(importing, "figures_changed", broken)
    before = Observation.objects.count()
    run_worker()
    job.refresh_from_db()
    expected = translated(
        "fa", "The import stopped because of an unexpected error: nothing was written. Try again later."
    )
    assert (job.status, job.failure) == ("failed", "crashed")
    assert Observation.objects.count() == before
    result = DBTaskResult.objects.get(task_path="indicators.import_jobs.write_import")
    assert (result.status, result.exception_class_path) == ("FAILED", "builtins.RuntimeError")
    assert expected in page(editor_client, job, "fa")
    # The claimed upload is released: confirming again imports nothing.
    confirm(editor_client, job)
    assert DBTaskResult.objects.filter(task_path="indicators.import_jobs.write_import").count() == 1


def test_an_upload_that_expired_before_confirmation_fails_the_job(editor_client):
    job = checked_job(editor_client, new_rows(21))
    for kept in job_dir().iterdir():
        kept.unlink()  # swept away after an hour
    response = confirm(editor_client, job, "fa")
    expected = translated("fa", "The upload has expired: choose the file again.")
    assert expected in html.unescape(response.content.decode())
    job.refresh_from_db()
    assert (job.status, job.failure) == ("failed", "expired")
    assert expected in page(editor_client, job, "fa")


def test_a_file_within_the_threshold_is_still_checked_in_the_request(editor_client):
    response = upload(editor_client, to_csv(new_rows(INLINE_ROWS)))
    assert response.status_code == 200 and 'name="ticket"' in response.content.decode()
    assert not ImportJob.objects.exists() and not DBTaskResult.objects.exists()


def test_a_job_waiting_long_for_a_worker_says_so(editor_client):
    upload(editor_client, to_csv(new_rows(21)))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timezone.timedelta(minutes=2))
    assert "(manage.py db_worker) is not running" in page(editor_client, job)


def test_with_the_immediate_backend_the_import_runs_within_the_requests(editor_client, settings):
    """TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend: no worker, no background."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    before = Observation.objects.count()
    upload(editor_client, to_csv(new_rows(21)))
    job = ImportJob.objects.get()
    assert (job.status, job.rows_checked) == ("checked", 21)
    confirm(editor_client, job)
    job.refresh_from_db()
    assert (job.status, job.rows_written) == ("done", 21)
    assert Observation.objects.count() == before + 21


def test_an_import_that_cannot_be_queued_says_so(editor_client, monkeypatch):
    class Unreachable:
        def enqueue(self, *args):
            raise ConnectionError("the queue is gone")

    monkeypatch.setattr(import_jobs, "check_import", Unreachable())
    upload(editor_client, to_csv(new_rows(21)), lang="ar")
    job = ImportJob.objects.get()
    assert (job.status, job.failure) == ("failed", "unqueued")
    expected = "The import could not be started: the queue of background work is unavailable. Try again later."
    assert translated("ar", expected) in page(editor_client, job, "ar")
    assert list(job_dir().iterdir()) == []  # the upload is not kept
