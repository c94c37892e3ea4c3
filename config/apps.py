"""Daiban's app configurations: the admin without automatic discovery (``leaflet.admin``
imports GeoDjango, which needs GDAL, so Daiban imports every other app's ``admin`` module
itself), django-axes under a Chinese name, and the project's own ``ready()``."""

from importlib import import_module

import axes.apps
import django_tasks_db.apps
from django.apps import AppConfig, apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

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
        from config import words

        words.name_admin_columns()


class DaibanConfig(AppConfig):
    """Daiban's own settings of Django and its third-party apps that can only be made once
    the apps are loaded: the words Django and django-axes bring without a Chinese
    translation (``config.words``)."""

    name = "config"
    label = "daiban"
    verbose_name = _("Daiban")

    def ready(self):
        from config import words

        words.install()


class AxesConfig(axes.apps.AppConfig):
    """django-axes under a name a Chinese administrator reads (its app has none; the admin
    would title it "Axes")."""

    verbose_name = _("Login attempts")


class TasksDbConfig(django_tasks_db.apps.TasksAppConfig):
    """django-tasks-db (the background queue) under a Chinese name: its app is named in
    English ("Tasks Database Backend") without a translation."""

    verbose_name = _("Background task queue")  # type: ignore[assignment]  # a lazy string, as Django allows
