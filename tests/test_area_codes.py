"""An area's code goes into public URLs (areas/<code>/): one rule for it, in the form, the database and
the migration that brings the rule to an existing database (issue 17, point 1)."""

import html
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DataError, IntegrityError, transaction
from django.utils import translation

from countries.models import AREA_CODE_PATTERN, AREA_CODE_RE, Area, is_area_code

MESSAGE_EN = (
    "An area code is 1 to 12 capital letters, digits and hyphens, starting with a letter or digit, "
    "such as EU25 or IR-02."
)
MESSAGE_FA = "کد منطقه ۱ تا ۱۲ حرف بزرگ لاتین، رقم یا خط تیره است و با حرف یا رقم آغاز می‌شود، مانند EU25 یا IR-02."
BAD_CODES = ["EU/27", "EU 28", "<B>", "ABCDEFGHIJKLM", "", "-EU", "EU_25", "EU25\n", "اتحادیه"]

migration = importlib.import_module("countries.migrations.0002_area_code_valid")


@pytest.fixture(autouse=True)
def leave_no_language_active():
    """A request activates its URL's language for the whole thread: do not hand it to the next test."""
    yield
    translation.deactivate()


def aggregate(code, **changes):
    values = {"code": code, "kind": Area.Kind.AGGREGATE, "name_en": "A group", "name_ar": "", "name_fa": ""}
    values.update(changes)
    return Area(**values)


def code_messages(exc_info):
    return [str(m) for m in exc_info.value.message_dict.get("code", [])]


# The rule itself ----------------------------------------------------------------------------


def test_the_rule_is_the_one_other_code_uses():
    assert AREA_CODE_PATTERN == r"[A-Z0-9][A-Z0-9-]{0,11}"
    assert AREA_CODE_RE.pattern == AREA_CODE_PATTERN


@pytest.mark.parametrize("code", ["EU25", "IR-02", "IRN", "A", "9", "ABCDEFGHIJKL", "EU-"])
def test_good_codes(code):
    assert is_area_code(code)


@pytest.mark.parametrize("code", [*BAD_CODES, "eu25", " EU25", None, 25])
def test_bad_codes(code):
    assert not is_area_code(code)


# The model's validation (what the admin shows) ----------------------------------------------


@pytest.mark.parametrize("kind", [Area.Kind.AGGREGATE, Area.Kind.SUBNATIONAL])
@pytest.mark.parametrize("code", ["EU/27", "EU 28", "<B>", "EU_25", "-EU", "EU.25"])
def test_full_clean_refuses_a_bad_code_with_a_clear_message(db, code, kind):
    with pytest.raises(ValidationError) as exc_info:
        aggregate(code, kind=kind).full_clean()
    assert code_messages(exc_info) == [MESSAGE_EN]


@pytest.mark.parametrize("code", ["ABCDEFGHIJKLM", "   ", ""])
def test_a_code_too_long_or_empty_is_refused(db, code):
    with pytest.raises(ValidationError) as exc_info:
        aggregate(code).full_clean()
    # beside Django's own "at most 12 characters" or "cannot be blank"
    assert MESSAGE_EN in code_messages(exc_info)


@pytest.mark.parametrize(("typed", "kept"), [("EU25", "EU25"), ("IR-02", "IR-02"), (" eu- ", "EU-"), ("eu25", "EU25")])
def test_good_codes_are_accepted_in_capitals(db, typed, kept):
    area = aggregate(typed)
    area.full_clean()
    assert area.code == kept
    area.save()
    assert Area.objects.get(pk=area.pk).code == kept


def test_a_region_with_a_good_code_is_accepted(seeded):
    area = aggregate("IR-99", kind=Area.Kind.SUBNATIONAL, parent=Area.objects.get(code="IRN"))
    area.full_clean()


def test_a_country_keeps_its_own_message(db):
    for code in ("I/R", "XYZ", "IRAN"):
        with pytest.raises(ValidationError) as exc_info:
            Area(code=code, kind=Area.Kind.COUNTRY).full_clean()
        assert code_messages(exc_info) == ["A country needs its ISO 3166-1 alpha-3 code, such as IRN or JPN."]


def test_the_message_is_translated(db):
    with translation.override("fa"):
        with pytest.raises(ValidationError) as exc_info:
            aggregate("EU/27").full_clean()
        assert code_messages(exc_info) == [MESSAGE_FA]


# The database ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [code for code in BAD_CODES if len(code) <= 12] + ["eu25", " EU25"])
def test_the_database_refuses_a_bad_code_saved_without_validation(db, code):
    with pytest.raises(IntegrityError), transaction.atomic():
        aggregate(code).save()
    assert not Area.objects.exists()


def test_the_database_refuses_a_code_too_long(db):
    # PostgreSQL's varchar(12) refuses it first (DataError), SQLite's constraint (IntegrityError)
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        aggregate("ABCDEFGHIJKLM").save()
    assert not Area.objects.exists()


def test_the_database_refuses_a_bad_code_written_by_update(db):
    area = aggregate("EU25")
    area.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.filter(pk=area.pk).update(code="EU/25")
    assert Area.objects.get(pk=area.pk).code == "EU25"


def test_the_database_accepts_good_codes(db):
    for code in ("EU25", "IR-02", "A", "ABCDEFGHIJKL"):
        aggregate(code).save()
    assert Area.objects.count() == 4


def test_the_constraint_carries_the_message():
    constraint = next(c for c in Area._meta.constraints if c.name == "area_code_valid")
    assert constraint.violation_error_message == MESSAGE_EN


# The migration -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_stops_on_bad_codes_and_lists_them():
    call_command("migrate", "countries", "0001_initial", verbosity=0)  # the database before the rule
    try:
        good = aggregate("EU25")
        slash = aggregate("EU/27")
        space = aggregate("EU 28")
        for area in (good, slash, space):
            area.save()

        Model = apps.get_model("countries", "Area")
        assert migration.bad_area_codes(Model) == [(slash.pk, "EU/27"), (space.pk, "EU 28")]
        with pytest.raises(migration.BadAreaCodes) as exc_info:
            migration.refuse_bad_area_codes(apps, None)
        message = str(exc_info.value)
        assert f"id {slash.pk}: 'EU/27'" in message
        assert f"id {space.pk}: 'EU 28'" in message
        assert "EU25" not in message.split(":\n", 1)[1].split("Fix")[0]
        assert "in the admin" in message

        # migrate itself stops there, and rewrites nothing
        with pytest.raises(migration.BadAreaCodes):
            call_command("migrate", verbosity=0)
        assert sorted(Area.objects.values_list("code", flat=True)) == ["EU 28", "EU/27", "EU25"]

        # once an editor has fixed them, the migration goes through and the database keeps the rule
        Area.objects.filter(pk=slash.pk).update(code="EU27")
        Area.objects.filter(pk=space.pk).update(code="EU28")
        assert migration.bad_area_codes(Model) == []
        migration.refuse_bad_area_codes(apps, None)
        call_command("migrate", verbosity=0)
        with pytest.raises(IntegrityError), transaction.atomic():
            Area.objects.filter(pk=slash.pk).update(code="EU/27")
    finally:
        Area.objects.all().delete()
        call_command("migrate", verbosity=0)


# The admin ---------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "a-long-admin-password"))
    return client


def add_form(code):
    return {"code": code, "kind": "aggregate", "name_en": "European Union", "name_ar": "", "name_fa": "", "parent": ""}


@pytest.mark.parametrize(("lang", "message"), [("en", MESSAGE_EN), ("fa", MESSAGE_FA)])
def test_the_admin_refuses_a_bad_code_in_the_users_language(admin_client, lang, message):
    response = admin_client.post(f"/{lang}/admin/countries/area/add/", add_form("EU/27"))
    assert response.status_code == 200  # the form again, not a redirect
    assert message in html.unescape(response.content.decode())
    assert not Area.objects.exists()


def test_the_admin_adds_a_good_code(admin_client):
    response = admin_client.post("/en/admin/countries/area/add/", add_form("eu-27"))
    assert response.status_code == 302
    assert Area.objects.get().code == "EU-27"
