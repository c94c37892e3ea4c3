"""Admin discovery without ``leaflet.admin`` (it imports GeoDjango, which needs GDAL)."""

from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

SKIPPED_ADMIN_MODULES = {"leaflet"}


def discover_admin_modules() -> None:
    for app_config in apps.get_app_configs():
        if app_config.label in SKIPPED_ADMIN_MODULES:
            continue
        if module_has_submodule(app_config.module, "admin"):
            import_module(f"{app_config.name}.admin")
