"""Admin for the territory and the network. A staff member who is not a superuser sees
only rows inside their reach, changes only rows of their own scopes, and can point a row
only at areas, points and branches they may change."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid import selectors
from grid.access import reach_of
from grid.models import Area, Department, JointBranch, Pairing, Scope, ServicePoint, ServiceWindow, User
from grid.services import area_check_level, area_set_boundary


def branches_led_by(user):
    """The joint branches a user may change: the ones they lead, or all for a city admin.
    (Street officials read every branch; reading is not leading.)"""
    reach = reach_of(user)
    # led_branch_ids, not branch_ids: a branch member belongs to the branch but does not lead it.
    return JointBranch.objects.all() if reach.is_city_admin else JointBranch.objects.filter(pk__in=reach.led_branch_ids)


def choices_for(model, user):
    """What a row's foreign key may point at for a staff member who is not a superuser;
    None for models not cut to a reach. Without this the admin accepts any id in the city
    (an autocomplete widget only limits what it suggests, not what the form accepts)."""
    if model is Area:
        return selectors.areas_in_scope(user=user)
    if model is ServicePoint:
        return selectors.service_points_visible_to(user=user)
    if model is JointBranch:
        return branches_led_by(user)
    return None


class ReachChoicesMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser and "queryset" not in kwargs:
            choices = choices_for(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdmin(ReachChoicesMixin, admin.ModelAdmin):
    """A staff member who is not a superuser sees only rows inside their reach (``scoped``)
    and changes or deletes only those of their own scopes (``writable``): the centres above
    a station, or a branch a street official reads, are for looking at."""

    def scoped(self, request, queryset):
        return queryset

    def writable(self, request, queryset):
        return self.scoped(request, queryset)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else self.scoped(request, queryset)

    def _may_write(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return self.writable(request, self.model._default_manager.filter(pk=obj.pk)).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)


class ScopeInline(ReachChoicesMixin, admin.TabularInline):
    model = Scope
    extra = 0
    autocomplete_fields = ["area", "branch"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Daiban"), {"fields": ("full_name", "phone")}))  # type: ignore[misc]  # set on BaseUserAdmin
    list_display = ["username", "full_name", "phone", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    inlines = [ScopeInline]

    # Changing a user can make them a superuser: only superusers manage accounts.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class AreaAdminForm(forms.ModelForm):
    """Checks what save_model relies on, so a wrong level or a broken outline is a message
    on the field instead of a server error."""

    class Meta:
        model = Area
        fields = "__all__"  # noqa: DJ007 — the city administrator edits every field of an area

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and "level" in cleaned and "parent" in cleaned:
            try:
                area_check_level(level=cleaned["level"], parent=cleaned["parent"])
            except ValidationError as exc:
                self.add_error("level", exc)
        if cleaned.get("boundary"):
            try:
                area_set_boundary(area=Area(), boundary=cleaned["boundary"], save=False)
            except ValidationError as exc:
                self.add_error("boundary", exc)
        return cleaned


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
    form = AreaAdminForm
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    readonly_fields = ["path", "centroid_lat", "centroid_lng"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # Code and parent make up the materialized path of every area below this one.
        return [*self.readonly_fields, "code", "parent", "level"] if obj else self.readonly_fields

    def scoped(self, request, queryset):
        return queryset.filter(pk__in=selectors.areas_visible_to(user=request.user).values("pk"))

    def writable(self, request, queryset):
        return queryset.filter(reach_of(request.user).area_q())

    def save_model(self, request, obj, form, change):
        if not change:
            area_check_level(level=obj.level, parent=obj.parent)
            obj.path = Area.path_for(code=obj.code, parent=obj.parent)
        area_set_boundary(area=obj, boundary=obj.boundary, save=False)
        super().save_model(request, obj, form, change)


@admin.register(ServicePoint)
class ServicePointAdmin(ScopedAdmin):
    list_display = ["name", "tier", "area", "phone", "opening_hours"]
    list_filter = ["tier"]
    search_fields = ["name", "address", "area__name"]
    list_select_related = ["area"]
    autocomplete_fields = ["area", "agents"]

    def scoped(self, request, queryset):
        return queryset.filter(pk__in=selectors.service_points_visible_to(user=request.user).values("pk"))

    def writable(self, request, queryset):
        return queryset.filter(reach_of(request.user).area_q(prefix="area__"))


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class ServiceWindowInline(admin.TabularInline):
    model = ServiceWindow
    extra = 0
    autocomplete_fields = ["department"]


@admin.register(ServiceWindow)
class ServiceWindowAdmin(admin.ModelAdmin):
    list_display = ["number", "department", "branch", "business"]
    list_filter = ["branch"]
    search_fields = ["number", "business", "department__name"]
    list_select_related = ["department", "branch"]


@admin.register(JointBranch)
class JointBranchAdmin(ScopedAdmin):
    list_display = ["number", "name", "secretary"]
    search_fields = ["name"]
    list_select_related = ["secretary"]
    autocomplete_fields = ["secretary"]
    inlines = [ServiceWindowInline]

    def scoped(self, request, queryset):
        return queryset.filter(pk__in=selectors.branches_visible_to(user=request.user).values("pk"))

    def writable(self, request, queryset):
        return queryset.filter(pk__in=branches_led_by(request.user).values("pk"))


@admin.register(Pairing)
class PairingAdmin(ScopedAdmin):
    list_display = ["branch", "point", "since", "until", "liaison_name"]
    list_filter = ["branch"]
    search_fields = ["point__name", "liaison_name"]
    list_select_related = ["branch", "point"]
    autocomplete_fields = ["point", "liaison"]

    def scoped(self, request, queryset):
        return queryset.filter(branch__in=selectors.branches_visible_to(user=request.user))

    def writable(self, request, queryset):
        return queryset.filter(branch__in=branches_led_by(request.user))


@admin.register(Scope)
class ScopeAdmin(ScopedAdmin):
    list_display = ["user", "role", "area", "branch"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "area__name"]
    list_select_related = ["user", "area", "branch"]
    autocomplete_fields = ["user", "area", "branch"]

    def scoped(self, request, queryset):
        return queryset.filter(
            Q(area__in=selectors.areas_visible_to(user=request.user))
            | Q(branch__in=selectors.branches_visible_to(user=request.user))
        )

    def writable(self, request, queryset):
        # A scope granted is reach handed out: only over one's own areas or led branches.
        return queryset.filter(
            reach_of(request.user).area_q(prefix="area__") | Q(branch__in=branches_led_by(request.user))
        )
