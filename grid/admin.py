"""Admin for the territory and the network. Lists are cut to the staff member's reach."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from grid import selectors
from grid.models import Area, Department, JointBranch, Pairing, Scope, ServicePoint, ServiceWindow, User
from grid.services import area_check_level, area_path_for, area_set_boundary


class ScopedAdmin(admin.ModelAdmin):
    """A staff member who is not a superuser sees only rows inside their reach."""

    def scoped(self, request, queryset):
        return queryset

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else self.scoped(request, queryset)


class ScopeInline(admin.TabularInline):
    model = Scope
    extra = 0
    autocomplete_fields = ["area", "branch"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Daiban"), {"fields": ("full_name", "phone")}))
    list_display = ["username", "full_name", "phone", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    inlines = [ScopeInline]


@admin.register(Area)
class AreaAdmin(ScopedAdmin):
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

    def save_model(self, request, obj, form, change):
        if not change:
            area_check_level(level=obj.level, parent=obj.parent)
            obj.path = area_path_for(code=obj.code, parent=obj.parent)
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


@admin.register(Pairing)
class PairingAdmin(ScopedAdmin):
    list_display = ["branch", "point", "since", "until", "liaison_name"]
    list_filter = ["branch"]
    search_fields = ["point__name", "liaison_name"]
    list_select_related = ["branch", "point"]
    autocomplete_fields = ["point", "liaison"]

    def scoped(self, request, queryset):
        return queryset.filter(branch__in=selectors.branches_visible_to(user=request.user))


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area", "branch"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "area__name"]
    list_select_related = ["user", "area", "branch"]
    autocomplete_fields = ["user", "area", "branch"]
