"""Admin views of outreach data: read-only, because residents and visits change only
through the services (audit rows, due dates, encrypted IDs). Lists are cut to the staff
member's reach; the national ID shows masked."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grid.access import reach_of
from outreach.models import (
    AuditEvent,
    Complaint,
    Delivery,
    Errand,
    ErrandEvent,
    ErrandPhoto,
    Job,
    NotificationPreference,
    PeriodicRun,
    Resident,
    ResidentCategory,
    ServiceType,
    TripsSaved,
    Visit,
    VisitCorrection,
    VisitPhoto,
)


class ReadOnlyScopedAdmin(admin.ModelAdmin):
    grid_path = "grid__"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(reach_of(request.user).area_q(prefix=self.grid_path))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CityAdminsLogAdmin(ReadOnlyScopedAdmin):
    """A read-only log of rows that belong to people rather than to an area: the city
    administrator's (superusers) only."""

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset.none()


class ResidentCategoryInline(admin.TabularInline):
    model = ResidentCategory
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Resident)
class ResidentAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "national_id_masked", "grid", "care_level", "status", "due_on", "last_met_on"]
    list_filter = ["care_level", "status"]
    search_fields = ["name", "address", "phone"]
    list_select_related = ["grid"]
    exclude = ["national_id_cipher", "national_id_digest"]
    readonly_fields = ["national_id_masked", "last_met_on", "due_on", "version"]
    inlines = [ResidentCategoryInline]


@admin.register(Visit)
class VisitAdmin(ReadOnlyScopedAdmin):
    grid_path = "resident__grid__"
    list_display = ["resident", "worker", "visited_at", "outcome", "location_check", "distance_m"]
    list_filter = ["outcome", "location_check"]
    search_fields = ["resident__name", "worker__username", "worker__full_name"]
    list_select_related = ["resident", "worker"]
    date_hierarchy = "visited_at"


@admin.register(VisitCorrection)
class VisitCorrectionAdmin(ReadOnlyScopedAdmin):
    grid_path = "visit__resident__grid__"
    list_display = ["visit", "corrected_by", "corrected_at", "reason"]
    list_select_related = ["visit__resident", "corrected_by"]


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ReadOnlyScopedAdmin):
    grid_path = "visit__resident__grid__"
    list_display = ["visit", "width", "height", "size_bytes", "created_at"]
    list_select_related = ["visit__resident"]
    exclude = ["image", "thumbnail"]  # file names only lead to the scope-checked photo view


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    grid_path = "resident__grid__"
    list_display = ["at", "actor", "action", "resident", "address"]
    list_filter = ["action"]
    search_fields = ["actor__username", "resident__name"]
    list_select_related = ["actor", "resident"]
    date_hierarchy = "at"


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    """The catalogue is edited here by the city administrator."""

    list_display = ["name", "code", "department", "promised_days", "lowest_tier", "trips_saved", "is_active"]
    list_filter = ["lowest_tier", "is_active", "department"]
    search_fields = ["name", "code", "department__name"]
    list_select_related = ["department"]
    list_editable = ["promised_days", "trips_saved", "is_active"]


class ErrandEventInline(admin.TabularInline):
    model = ErrandEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "from_state", "to_state", "from_holder", "to_holder", "assignee", "note"]
    readonly_fields = fields  # type: ignore[assignment]  # plain field names

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Errand)
class ErrandAdmin(ReadOnlyScopedAdmin):
    grid_path = "resident__grid__"
    list_display = ["number", "service", "resident", "state", "holder_point", "holder_branch", "assignee", "due_on"]
    list_filter = ["state", "source"]
    search_fields = ["number", "resident__name", "service__name"]
    list_select_related = ["service", "resident", "holder_point", "holder_branch", "assignee"]
    date_hierarchy = "requested_at"
    inlines = [ErrandEventInline]


@admin.register(TripsSaved)
class TripsSavedAdmin(ReadOnlyScopedAdmin):
    list_display = ["resident", "errand", "trips", "recorded_on"]
    list_select_related = ["resident", "errand"]
    date_hierarchy = "recorded_on"


@admin.register(ErrandPhoto)
class ErrandPhotoAdmin(ReadOnlyScopedAdmin):
    grid_path = "errand__resident__grid__"
    list_display = ["errand", "width", "height", "size_bytes", "created_at"]
    list_select_related = ["errand"]
    exclude = ["image", "thumbnail"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only: complaints are registered and answered through their screens."""

    list_display = ["number", "name", "department", "trips", "handled_on_spot", "branch", "deadline", "state"]
    list_filter = ["state", "handled_on_spot", "branch"]
    search_fields = ["number", "name", "department__name"]
    list_select_related = ["department", "branch"]

    def get_queryset(self, request):
        from outreach.complaints.selectors import complaints_visible_to

        queryset = super().get_queryset(request)
        return (
            queryset
            if request.user.is_superuser
            else queryset.filter(pk__in=complaints_visible_to(user=request.user).values("pk"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyScopedAdmin):
    """The log of messages sent beyond the bell (SMS, DingTalk, WeCom): what went where,
    how many tries, the last error. Staff see those about errands in their reach."""

    grid_path = "errand__resident__grid__"
    list_display = ["created_at", "channel", "masked_recipient", "kind", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["recipient", "errand__number"]
    list_select_related = ["errand"]
    date_hierarchy = "created_at"
    exclude = ["recipient"]
    readonly_fields = ["masked_recipient"]

    @admin.display(description=_("mobile number"))
    def masked_recipient(self, delivery: Delivery) -> str:
        return masked_mobile(delivery.recipient)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(CityAdminsLogAdmin):
    """Who chose which channels; each person sets their own under 通知方式."""

    list_display = ["user", "masked_mobile", "sms", "dingtalk", "wecom", "updated_at"]
    list_filter = ["sms", "dingtalk", "wecom"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    exclude = ["mobile"]
    readonly_fields = ["masked_mobile"]

    @admin.display(description=_("mobile number"))
    def masked_mobile(self, preference: NotificationPreference) -> str:
        return masked_mobile(preference.mobile)


def masked_mobile(number: str) -> str:
    """138****5678: enough to tell numbers apart in a log."""
    return f"{number[:3]}****{number[-4:]}" if len(number) >= 8 else "****"


@admin.register(Job)
class JobAdmin(CityAdminsLogAdmin):
    """Background jobs: who started what, how far it got, what went wrong (a job's
    parameters name areas and rosters); its page and file stay its starter's."""

    list_display = ["created_at", "kind", "user", "state", "done", "total", "attempts", "finished_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    exclude = ["result"]  # a roster check's report names residents


@admin.register(PeriodicRun)
class PeriodicRunAdmin(CityAdminsLogAdmin):
    """When the worker queued each daily task (one row a day per task)."""

    list_display = ["queued_at", "name", "slot", "task_id"]
    list_filter = ["name"]
    date_hierarchy = "queued_at"
