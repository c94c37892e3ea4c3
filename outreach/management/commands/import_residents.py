"""Import a resident roster (XLSX or CSV) from the shell, in a user's scope: the same
checks as the upload screen; writes only with --commit and only when every row is right."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grid.access import reach_of
from outreach.residents import national_ids
from outreach.residents.roster import services as roster


class Command(BaseCommand):
    help = "Check a resident roster and, with --commit, import it in the given user's scope."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The roster: an .xlsx workbook or a .csv file.")
        parser.add_argument("--user", required=True, help="Username of the importer; the roster must fit their scope.")
        parser.add_argument("--commit", action="store_true", help="Write the residents (otherwise only check).")

    def handle(self, *args, file: str, user: str, commit: bool, **options):
        importer = get_user_model().objects.filter(username=user).first()
        if importer is None:
            raise CommandError(_("There is no user “%(name)s”.") % {"name": user})
        if not reach_of(importer).may_import_rosters():
            raise CommandError(
                _(
                    "“%(name)s” may not import residents: only community station staff, street officials "
                    "and city administrators can."
                )
                % {"name": user}
            )
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("There is no file “%(path)s”.") % {"path": file})
        if path.stat().st_size > roster.MAX_BYTES:
            raise CommandError(roster.too_big_message(path.name))
        data = path.read_bytes()

        # Whoever runs the command holds the database: audited, not held to the daily limit.
        check = roster.roster_check(user=importer, data=data, filename=path.name, door=national_ids.Door.COMMAND)
        for message in check.file_errors:
            self.stderr.write(message)
        if check.file_errors:
            raise CommandError(_("“%(name)s” cannot be imported; nothing was written.") % {"name": path.name})
        for header in check.ignored_columns:
            self.stdout.write(_("Ignored column: %(column)s") % {"column": header})
        for issue in check.warnings:
            self.stdout.write(
                _("Row %(row)d, %(column)s: warning: %(message)s")
                % {"row": issue.row, "column": issue.where, "message": issue.message}
            )
        for issue in check.errors:
            self.stderr.write(
                _("Row %(row)d, %(column)s: %(message)s")
                % {"row": issue.row, "column": issue.where, "message": issue.message}
            )
        if not check.ok:
            raise CommandError(
                _("%(bad)d of %(rows)d rows have errors; nothing was written.")
                % {"bad": check.error_count, "rows": check.row_count}
            )
        if not commit:
            self.stdout.write(
                _("All %(rows)d rows are correct. Run again with --commit to import them.") % {"rows": check.row_count}
            )
            return
        try:
            staged = roster.roster_stage(actor=importer, filename=path.name, data=data)
            count = roster.roster_commit(actor=importer, roster_import=staged, door=national_ids.Door.COMMAND)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except roster.RosterRejected as exc:  # something changed between the check and the commit
            for issue in exc.check.errors:
                self.stderr.write(
                    _("Row %(row)d, %(column)s: %(message)s")
                    % {"row": issue.row, "column": issue.where, "message": issue.message}
                )
            raise CommandError(_("The roster no longer passes the check; nothing was written.")) from None
        self.stdout.write(self.style.SUCCESS(_("%(count)d residents imported.") % {"count": count}))
