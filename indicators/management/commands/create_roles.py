from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

EDITOR = "editor"

# What each role may do, model by model. An editor keeps the statistics current: adds and
# changes areas, indicators, sources and figures, and may delete a draft figure (the admin
# refuses to delete one that is or was published). Users and groups stay with superusers.
ROLES = {
    EDITOR: {
        "countries.area": ["add", "change", "view"],
        "indicators.indicator": ["add", "change", "view"],
        "indicators.source": ["add", "change", "view"],
        "indicators.observation": ["add", "change", "delete", "view"],
    },
}


def role_permissions(spec):
    permissions = []
    for model, actions in spec.items():
        app_label, model_name = model.split(".")
        for action in actions:
            codename = f"{action}_{model_name}"
            try:
                permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist:
                raise CommandError(f"No permission {app_label}.{codename}: run migrate first.") from None
    return permissions


class Command(BaseCommand):
    help = (
        "Create the staff groups (editor) with exactly their permissions; safe to run again. "
        "With --editor NAME, also make that existing user a staff member in the editor group."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--editor", action="append", default=[], metavar="USERNAME", help="Add this user to the editor group."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        for name, spec in ROLES.items():
            group, created = Group.objects.get_or_create(name=name)
            # set(): the group has exactly these permissions, whatever was added by hand since.
            group.permissions.set(role_permissions(spec))
            verb = "Created" if created else "Updated"
            self.stdout.write(f"{verb} group {name} ({group.permissions.count()} permissions).")
        editors = Group.objects.get(name=EDITOR)
        for username in options["editor"]:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username}: create it first (see README).")
            user.is_staff = True  # the admin only lets staff in
            user.save(update_fields=["is_staff"])
            user.groups.add(editors)
            self.stdout.write(f"{username} is an editor.")
