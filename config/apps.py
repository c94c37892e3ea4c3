"""The admin without automatic discovery: ``leaflet.admin`` imports GeoDjango, which needs
GDAL, so Daiban imports every other app's ``admin`` module itself."""

from importlib import import_module

from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule

SKIPPED_ADMIN_MODULES = {"leaflet"}


def discover_admin_modules() -> None:
    for app_config in apps.get_app_configs():
        if app_config.label in SKIPPED_ADMIN_MODULES:
            continue
        if module_has_submodule(app_config.module, "admin"):
            import_module(f"{app_config.name}.admin")


class DaibanAdminConfig(SimpleAdminConfig):
    def ready(self):
        super().ready()
        discover_admin_modules()
