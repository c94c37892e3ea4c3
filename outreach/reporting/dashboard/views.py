"""The dashboard screen (看板) and the spreadsheet exports of every table on the dashboard
and the coverage map, plus the monthly coverage report of a town. Thin: parse the query,
pass the user through the one door (``dashboard.subject_for_user_or_404`` for the
dashboard's tables, ``coverage.place_for_user_or_404`` for the map's), ask
``outreach.reporting.dashboard`` / ``outreach.reporting.coverage``, render or write the file."""

import math
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.db_router import reads_replica
from grid.models import Area
from grid.selectors import area_subtree
from outreach.common import spreadsheets
from outreach.common.requests import client_address
from outreach.reporting import exports
from outreach.reporting.coverage import selectors as coverage
from outreach.reporting.dashboard import selectors as figures_of
from outreach.reporting.dashboard.forms import TABLES, DashboardQueryForm, ExportForm, ReportForm
from outreach.reporting.dashboard.jobs import missed_export_start
from outreach.reporting.periods import PERIOD_LABELS, Period, PeriodKind, period_for


def _parse(form_class, request, **kwargs):
    form = form_class(request.GET, today=timezone.localdate(), **kwargs)
    form.is_valid()
    if "area" in form.errors and not form.has_error("area", code="required"):
        raise Http404  # not a number: no such area, the same answer as someone else's
    return form


def _bad_request(form) -> HttpResponse:
    """A plain-text list of what is wrong with the query, field by field."""
    lines = [f"{name}: {error}" for name, errors in form.errors.items() for error in errors]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


def _query(area_id: int | None, period: Period, **extra) -> str:
    return urlencode({**({"area": area_id} if area_id else {}), **period.query(), **extra})


def _url(name: str, area_id: int | None, period: Period, *args, **extra) -> str:
    return f"{reverse(name, args=args)}?{_query(area_id, period, **extra)}"


# --- Display --------------------------------------------------------------------------------


def _number(value, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _percent(share) -> str:
    return "–" if share is None else f"{int(share * 100 + 1e-9)} %"  # rounded down, like the map


def _tiles(board) -> list[dict]:
    """The figures as tiles, in the order people read them."""
    total, subject = board.total, board.subject
    tiles = []
    if subject.shows_coverage:
        tiles += [
            {
                "key": "visits",
                "label": _("Visits"),
                "value": _number(total.visits),
                "note": _("my visits") if subject.lens == figures_of.Lens.WORKER else _("in the period"),
            },
            {
                "key": "coverage",
                "label": _("Visited on time"),
                "value": _percent(total.coverage_share),
                "band": total.coverage.band.value,
                "note": _("of %(n)s residents") % {"n": _number(total.coverage.active)},
            },
            {
                "key": "missed",
                "label": _("Residents overdue"),
                "value": _number(total.missed),
                "note": _("at the end of the period") if not board.period.is_running else _("today"),
            },
        ]
    tiles += [
        {"key": "received", "label": _("Errands received"), "value": _number(total.errands_received)},
        {"key": "completed", "label": _("Errands completed"), "value": _number(total.errands_completed)},
        {"key": "overdue", "label": _("Errands overdue"), "value": _number(total.errands_overdue), "note": _("today")},
        {
            "key": "turnaround",
            "label": _("Median turnaround"),
            "value": _number(total.turnaround_days, 1),
            "note": _("days, request to completion"),
        },
        {
            "key": "trips",
            "label": _("Trips saved"),
            "value": _number(total.trips_saved),
            "note": _("trips residents did not have to make"),
        },
        {
            "key": "satisfaction",
            "label": _("Satisfaction"),
            "value": _number(total.satisfaction, 1),
            "note": _("average of %(n)s ratings, 1–5") % {"n": _number(total.satisfaction_count)},
        },
    ]
    if subject.shows_complaints:
        tiles += [
            {
                "key": "complaints",
                "label": _("Complaints"),
                "value": _number(total.complaints),
                "note": _("came more than once"),
            },
            {
                "key": "on_spot",
                "label": _("Handled on the spot"),
                "value": _percent(total.on_spot_share),
                "note": _("of the complaints"),
            },
        ]
    return tiles


def _columns(subject) -> list[dict]:
    """The table's columns; ``ratio``: a share, an average or a median, which the total
    row works out over everything rather than adding the rows (the table says so)."""
    columns: list[dict] = []
    if subject.shows_coverage:
        columns += [
            {"key": "visits", "label": _("Visits")},
            {"key": "coverage", "label": _("On time"), "ratio": True},
            {"key": "missed", "label": _("Overdue")},
        ]
    columns += [
        {"key": "received", "label": _("Received")},
        {"key": "completed", "label": _("Completed")},
        {"key": "overdue", "label": _("Errands overdue")},
        {"key": "turnaround", "label": _("Days (median)"), "ratio": True},
        {"key": "trips", "label": _("Trips saved")},
        {"key": "satisfaction", "label": _("Satisfaction"), "ratio": True},
    ]
    if subject.shows_complaints:
        columns += [
            {"key": "complaints", "label": _("Complaints")},
            {"key": "on_spot", "label": _("On the spot"), "ratio": True},
        ]
    return columns


def _cells(figures, subject) -> list[str]:
    cells = []
    if subject.shows_coverage:
        cells += [_number(figures.visits), _percent(figures.coverage_share), _number(figures.missed)]
    cells += [
        _number(figures.errands_received),
        _number(figures.errands_completed),
        _number(figures.errands_overdue),
        _number(figures.turnaround_days, 1),
        _number(figures.trips_saved),
        _number(figures.satisfaction, 1),
    ]
    if subject.shows_complaints:
        cells += [_number(figures.complaints), _percent(figures.on_spot_share)]
    return cells


# --- The trend chart: a small SVG drawn on the server (no script, no style attributes) ---------

CHART_WIDTH, CHART_HEIGHT = 360, 170
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 6, 10, 26


def _nice_ceiling(value: int) -> int:
    """The next 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1): round axis ends."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def bar_chart(weeks, series: list[tuple[str, str, str]]) -> dict:
    """Bar positions for ``series`` (attribute of Week, CSS class, label) week by week,
    side by side within a week. Everything the template draws, in viewBox units."""
    top = _nice_ceiling(max((getattr(w, attr) or 0 for w in weeks for attr, _c, _l in series), default=0))
    plot_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = plot_w / len(weeks)
    bar_w = slot * 0.7 / len(series)
    bars, labels = [], []
    for i, week in enumerate(weeks):
        x0 = CHART_LEFT + i * slot + slot * 0.15
        for j, (attr, css, label) in enumerate(series):
            value = getattr(week, attr) or 0
            height = plot_h * value / top
            bars.append(
                {
                    "x": round(x0 + j * bar_w, 1),
                    "y": round(CHART_TOP + plot_h - height, 1),
                    "width": round(bar_w, 1),
                    "height": round(height, 1),
                    "css": css,
                    "title": _("%(label)s, week of %(day)s: %(n)s")
                    % {"label": label, "day": week.start.strftime("%m-%d"), "n": _number(value)},
                }
            )
        if i % 2 == (len(weeks) - 1) % 2:  # every other week, always the current one
            labels.append({"x": round(CHART_LEFT + (i + 0.5) * slot, 1), "text": week.start.strftime("%m-%d")})
    grid = [
        {"y": round(CHART_TOP + plot_h * (1 - f), 1), "label": _number(top * f)}
        for f in (0, 0.5, 1)
        if top * f == int(top * f)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "bars": bars,
        "labels": labels,
        "grid": grid,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "label_y": CHART_HEIGHT - 6,
        "series": [{"css": css, "label": label} for _a, css, label in series],
    }


def _charts(trend) -> list[dict]:
    charts = []
    if trend.shows_visits:
        charts.append(
            {
                "id": "chart-visits",
                "title": _("Visits per week"),
                **bar_chart(trend.weeks, [("visits", "series-visits", _("Visits"))]),
            }
        )
    charts.append(
        {
            "id": "chart-errands",
            "title": _("Errands per week"),
            **bar_chart(
                trend.weeks,
                [("received", "series-received", _("Received")), ("completed", "series-completed", _("Completed"))],
            ),
        }
    )
    return charts


# --- The page -----------------------------------------------------------------------------


def _heading(subject) -> str:
    if subject.lens == figures_of.Lens.BRANCH:
        return _("My joint branch")
    if subject.area is None:
        return _("All my areas")
    return subject.area.name


@reads_replica
@require_GET
@login_required
def dashboard(request):
    form = _parse(DashboardQueryForm, request)
    data = form.cleaned_data  # what parsed: a bad period falls back to this month, with its error shown
    period = data.get("the_period") or period_for(today=form.today)
    subject = figures_of.subject_for_user_or_404(request.user, data.get("area"))
    board = figures_of.dashboard_for(subject=subject, period=period, today=form.today)
    area_id = subject.area.pk if subject.area else None
    place = subject.place
    drillable = place.drillable if place else frozenset()
    rows = [
        {
            "area": row.area,
            "cells": _cells(row.figures, subject),
            "url": _url("dashboard", row.area.pk, period) if row.area.pk in drillable else "",
        }
        for row in board.rows
    ]
    if board.unplaced is not None:
        rows.append(
            {"area": None, "label": exports.unplaced_label(), "cells": _cells(board.unplaced, subject), "url": ""}
        )
    exports_for = {
        table: {fmt: _url("dashboard-export", area_id, period, fmt, table=table) for fmt in ("xlsx", "csv")}
        for table in ("children", "trend")
    }
    context = {
        "board": board,
        "subject": subject,
        "period": period,
        "heading": _heading(subject),
        "tiles": _tiles(board),
        "columns": _columns(subject),
        "rows": rows,
        "total_cells": _cells(board.total, subject),
        "charts": _charts(board.trend),
        "weeks": board.trend.weeks,
        "exports": exports_for,
        "periods": [(k.value, PERIOD_LABELS[k]) for k in PeriodKind],
        "period_errors": form.period_errors(),
        "form_period": data.get("period") or request.GET.get("period") or period.kind,
        "trail": [(a, _url("dashboard", a.pk, period)) for a in (place.trail if place else [])],
        "overview_url": _url("dashboard", None, period) if place and place.has_overview and place.area else "",
        "map_url": _url("coverage-map", area_id, period) if place else "",
        "report_url": (
            f"{reverse('coverage-report')}?{urlencode({'area': area_id, 'month': f'{period.start:%Y-%m}'})}"
            if subject.area is not None and subject.area.level == Area.Level.TOWN
            else ""
        ),
    }
    template = "outreach/reporting/dashboard/dashboard.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#panel"
    return render(request, template, context)


# --- Exports ------------------------------------------------------------------------------


def _place_name(place) -> str:
    return place.area.name if place and place.area else _("All my areas")


def _filename(title: str, place_name: str, period: Period) -> str:
    return f"{title}-{place_name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"


@reads_replica
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def dashboard_export(request, fmt: str):
    """Every table of the dashboard (children, trend) and of the coverage map (coverage,
    missed) as XLSX or CSV, for the same area and period as the screen, through the same
    door: outside the user's scope is 404. The missed residents (up to a whole city's)
    are written by a background job: a POST starts it and leads to its progress page."""
    form = _parse(ExportForm, request)
    if not form.is_valid():
        return _bad_request(form)
    data = form.cleaned_data
    period, table_key = data["the_period"], data["table"]
    if (table_key == "missed") != (request.method == "POST"):
        return HttpResponseNotAllowed(["POST"] if table_key == "missed" else ["GET", "HEAD"])
    if table_key == "missed":  # in the user's language: the job's page and messages
        job = missed_export_start(user=request.user, query=request.GET.dict(), fmt=fmt, address=client_address(request))
        return redirect("job-detail", pk=job.pk)
    with translation.override(exports.EXPORT_LANGUAGE):
        title = str(TABLES[table_key])
        if table_key in ("children", "trend"):
            subject = figures_of.subject_for_user_or_404(request.user, data.get("area"))
            place_name = _heading(subject)
            if table_key == "trend":
                table = exports.trend_table(figures_of.trend_for(subject=subject, today=form.today), title=title)
            else:
                board = figures_of.dashboard_for(subject=subject, period=period, today=form.today, with_trend=False)
                table = exports.children_table(board, title=title, whole=place_name)
        else:
            place = coverage.place_for_user_or_404(request.user, data.get("area"))
            place_name = _place_name(place)
            by_part, total = coverage.coverage_of_place(place=place, period=period)
            rows = coverage.sort_rows([(p, by_part[p.pk]) for p in place.parts], "name")
            table = exports.coverage_table(rows, total, title=title)
        return spreadsheets.table_response(table, fmt=fmt, filename=_filename(title, place_name, period))


@reads_replica
@require_GET
@login_required
def coverage_report(request):
    """The monthly coverage report of a town: a summary sheet (one row per community) and
    one sheet per community listing its grids. Same door as the map; a town only."""
    form = _parse(ReportForm, request)
    if not form.is_valid():
        return _bad_request(form)
    data = form.cleaned_data
    place = coverage.place_for_user_or_404(request.user, data["area"])
    if place.area is None or place.area.level != Area.Level.TOWN:
        return HttpResponse(
            _("The monthly report is made for a town or street: open one of yours and try again."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    period = data["the_period"]
    town = place.area
    grids = list(
        area_subtree(area=town)
        .filter(level=Area.Level.GRID)
        .only("id", "name", "code", "path", "parent_id")
        .order_by("path")
    )
    by_grid = coverage.coverage_by_area(areas=grids, period=period, within=[town.path])
    communities = [p for p in place.parts if p.level == Area.Level.COMMUNITY]
    with translation.override(exports.EXPORT_LANGUAGE):
        month = f"{period.start:%Y-%m}"
        by_community = {
            c.pk: sum((by_grid[g.pk] for g in grids if g.parent_id == c.pk), coverage.Figures()) for c in communities
        }
        summary = exports.coverage_table(
            [(c, by_community[c.pk]) for c in communities],
            sum(by_community.values(), coverage.Figures()),
            title=_("%(town)s %(month)s") % {"town": town.name, "month": month},
        )
        summary.columns[0] = spreadsheets.Column(_("Community"), spreadsheets.Kind.TEXT, 24)
        sheets = [summary]
        for community in communities:
            mine = [(g, by_grid[g.pk]) for g in grids if g.parent_id == community.pk]
            sheet = exports.coverage_table(mine, by_community[community.pk], title=community.name)
            sheet.columns[0] = spreadsheets.Column(_("Grid"), spreadsheets.Kind.TEXT, 24)
            sheets.append(sheet)
        filename = _("Monthly coverage report-%(town)s-%(month)s") % {"town": town.name, "month": month}
        return spreadsheets.xlsx_response(sheets, filename)
