"""The staff side of the statistics: the model admins of indicators, sources and observations,
in English, Arabic and Persian, with the actions that publish and delete figures.

What every model admin shares (history, side-by-side translations, search in any script, the
refusal of a save over another editor's change) is in smedash/admin_base.py; the import pages
are in admin_import.py.
"""

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from smedash.admin_base import ConcurrentEditAdmin, TranslatedHistoryAdmin, translated

from .admin_import import ObservationImportAdmin
from .admin_wide_import import WideImportAdmin
from .formatting import format_number, format_quantity, format_year
from .forms import ObservationForm
from .models import Indicator, Observation, Source
from .writes import figures_changed


@admin.register(Indicator)
class IndicatorAdmin(ConcurrentEditAdmin, TranslatedHistoryAdmin):
    list_display = ["code", "name", "unit", "headline", "countries_only", "position"]
    list_filter = ["unit", "headline", "countries_only"]
    search_fields = ["code", *translated("name")]
    fieldsets = [
        (None, {"fields": ["code", *translated("name"), "unit", ("headline", "position"), "countries_only"]}),
        (_("description"), {"fields": translated("description")}),
    ]


@admin.register(Source)
class SourceAdmin(ConcurrentEditAdmin, TranslatedHistoryAdmin):
    list_display = ["identifier", "title", "kind", "language"]
    list_filter = ["kind", "language"]
    search_fields = ["identifier", *translated("title"), *translated("publisher")]
    fieldsets = [
        (None, {"fields": ["identifier", *translated("title"), ("kind", "language"), "url"]}),
        (_("publisher"), {"fields": [*translated("publisher"), *translated("date_known")]}),
        (_("summary"), {"fields": translated("summary")}),
    ]


@admin.register(Observation)
class ObservationAdmin(WideImportAdmin, ObservationImportAdmin, ConcurrentEditAdmin, TranslatedHistoryAdmin):
    form = ObservationForm
    change_list_template = "admin/indicators/observation/change_list.html"
    autocomplete_fields = ["area", "indicator", "source"]
    # Few, narrow columns: with long indicator names in Arabic and Persian, more would push the
    # status off the screen.
    list_display = ["area", "indicator_shown", "year_shown", "value_shown", "status_shown", "source_shown"]
    list_filter = ["status", "indicator", "area__kind", "source", "year_calendar", "qualifier"]
    list_select_related = ["area", "indicator", "source"]
    search_fields = [
        "area__code",
        *(f"area__{name}" for name in translated("name")),
        "indicator__code",
        *(f"indicator__{name}" for name in translated("name")),
        "source__identifier",
        *(f"source__{name}" for name in translated("title")),
        "year_as_written",
        *translated("measured_as"),
        "quote",
    ]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["publish_selected", "unpublish_selected", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["area", "indicator", "source", "quote"]}),
        (
            _("The figure"),
            {
                "fields": ["value", "qualifier", "scope", *translated("measured_as")],
                "description": _(
                    "“Measured as” says what the figure counts, in the source's terms: industrial units or "
                    "industrial establishments, production value or gross output, employment in micro "
                    "enterprises. It is required when the area already has another figure for the same "
                    "indicator, year and scope: the charts label each by it."
                ),
            },
        ),
        (
            _("Year"),
            {
                "fields": ["year_as_written", "year_calendar", "year"],
                "description": _(
                    "Type the year as the source writes it and choose its calendar: a Solar Hijri year "
                    "(۱۳۹۲) is converted to the Gregorian year in which it begins (2013). "
                    "Leave everything empty when the source gives no year."
                ),
            },
        ),
        (_("SME definition and note"), {"fields": [*translated("definition"), *translated("note")]}),
        (_("Publication"), {"fields": ["status", ("created_at", "updated_at")]}),
    ]

    # Columns ---------------------------------------------------------------------------

    @admin.display(description=_("indicator"), ordering="indicator__position")
    def indicator_shown(self, obj):
        """The indicator, and under it what the figure counts: a list with two figures of one
        area, year and scope shows what tells them apart."""
        if not obj.measured_as:
            return str(obj.indicator)
        return format_html("{}<br><small class='quiet'>{}</small>", obj.indicator, obj.measured_as)

    @admin.display(description=_("year"), ordering="year")
    def year_shown(self, obj):
        year = "—" if obj.year is None else format_year(obj.year)
        if obj.year_as_written and obj.year_as_written != str(obj.year):
            # The source's own wording underneath, isolated so that its digits and brackets keep their order.
            return format_html(
                "{}<br><small class='quiet'><bdi>{}</bdi> ({})</small>",
                year,
                obj.year_as_written,
                obj.get_year_calendar_display(),
            )
        return year

    @admin.display(description=_("value"), ordering="value")
    def value_shown(self, obj):
        """The value as the public pages show it, in the admin's language and digits: "99.64%",
        "۹۹٫۶۴٪", "٩٩٫٦٤٪" (isolated, so that the sign stays beside its number)."""
        qualifier = "" if obj.qualifier == Observation.Qualifier.EXACT else obj.get_qualifier_display()
        shown = format_quantity(obj.value, obj.indicator.unit)
        return format_html("<bdi>{}</bdi><br><small class='quiet'>{}</small>", shown, qualifier)

    @admin.display(description=_("source"), ordering="source__identifier")
    def source_shown(self, obj):
        return Truncator(str(obj.source)).chars(40)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj):
        return format_html(
            "<span class='smedash-status smedash-status-{}'>{}</span>", obj.status, obj.get_status_display()
        )

    # Publishing ------------------------------------------------------------------------

    @admin.action(permissions=["change"], description=_("Publish selected figures"))
    def publish_selected(self, request, queryset):
        count = self._set_status(request, queryset, Observation.Status.PUBLISHED, gettext("Published"))
        message = ngettext("%(count)s figure published.", "%(count)s figures published.", count)
        self.message_user(request, message % {"count": format_number(count)}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Unpublish selected figures (back to draft)"))
    def unpublish_selected(self, request, queryset):
        count = self._set_status(request, queryset, Observation.Status.DRAFT, gettext("Unpublished"))
        message = ngettext("%(count)s figure unpublished.", "%(count)s figures unpublished.", count)
        self.message_user(request, message % {"count": format_number(count)}, messages.SUCCESS)

    def _set_status(self, request, queryset, status, reason):
        """Change the status with one history record per figure, and refresh the public pages."""
        changing = list(queryset.exclude(status=status))
        now = timezone.now()
        for obs in changing:
            obs.status, obs.updated_at = status, now
        with transaction.atomic():
            bulk_update_with_history(
                changing,
                Observation,
                ["status", "updated_at"],
                default_user=request.user,
                default_change_reason=reason,
                default_date=now,
            )
            # A bulk update sends no signals: recount the coverage, bump the data version after commit.
            figures_changed(changing)
        return len(changing)

    # Deleting: a figure that has ever been public stays, unless an administrator removes it.

    def has_delete_permission(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        ever_published = Observation.objects.filter(pk=obj.pk).ever_published().exists()
        return not ever_published and super().has_delete_permission(request, obj)

    @admin.action(permissions=["delete"], description=_("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        if not request.user.is_superuser and queryset.ever_published().exists():
            self.message_user(
                request,
                _(
                    "Published figures, and figures that once were, can only be deleted by an administrator. "
                    "Unpublish them to take them off the public pages."
                ),
                messages.ERROR,
            )
            return None
        return django_delete_selected(self, request, queryset)
