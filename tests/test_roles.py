"""The editor role: what create_roles grants, and that it can be run again safely."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import CommandError, call_command

EDITOR_PERMISSIONS = {
    f"{app}.{action}_{model}"
    for app, model in (("countries", "area"), ("indicators", "indicator"), ("indicators", "source"))
    for action in ("add", "change", "view")
} | {f"indicators.{action}_observation" for action in ("add", "change", "delete", "view")}


def group_permissions():
    group = Group.objects.get(name="editor")
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_create_roles_grants_exactly_the_editor_permissions_and_is_idempotent(db):
    call_command("create_roles", stdout=io.StringIO())
    assert group_permissions() == EDITOR_PERMISSIONS
    group = Group.objects.get(name="editor")
    group.permissions.add(Permission.objects.get(codename="change_user"))  # added by hand
    call_command("create_roles", stdout=io.StringIO())
    assert group_permissions() == EDITOR_PERMISSIONS
    assert Group.objects.filter(name="editor").count() == 1


def test_editor_option_makes_an_existing_user_a_staff_editor(db):
    user = User.objects.create_user("sara", password="a-long-editor-password")
    call_command("create_roles", "--editor", "sara", stdout=io.StringIO())
    user = User.objects.get(pk=user.pk)
    assert user.is_staff and user.groups.filter(name="editor").exists()
    assert user.has_perm("indicators.add_observation") and user.has_perm("countries.change_area")
    assert not user.has_perm("auth.view_user") and not user.has_perm("auth.change_group")
    assert not user.has_perm("indicators.delete_source") and not user.is_superuser


def test_an_unknown_user_is_reported(db):
    with pytest.raises(CommandError, match="No user named ghost"):
        call_command("create_roles", "--editor", "ghost", stdout=io.StringIO())


def test_there_are_no_default_accounts(db):
    call_command("create_roles", stdout=io.StringIO())
    assert not User.objects.exists()
