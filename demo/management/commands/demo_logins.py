"""Print the demo logins, so whoever starts the demo knows how to get in."""

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.data import DEMO_USERS
from grid.models import User


class Command(BaseCommand):
    help = "List the demo users and their password."

    def handle(self, *args, **options):
        present = set(User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True))
        self.stdout.write(f"Demo logins (password: {settings.DAIBAN_DEMO_PASSWORD}) at http://127.0.0.1:8000/")
        for username, full_name, role, _ in DEMO_USERS:
            if username in present:
                self.stdout.write(f"  {username:<10} {full_name:<8} {role}")
