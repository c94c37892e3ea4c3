"""The branches' monthly report as a spreadsheet: one row of figures per branch (the city
view, or one branch's report) and, for one branch, the activities it held that month.

The spreadsheet goes into the offices' own monthly reports, which are in Chinese
whatever language the screen is in; fixed headers also let people build on the file.
"""

from outreach.common.spreadsheets import Column, Kind, Table
from outreach.models import ActivityTopic, BranchActivity

FIGURE_COLUMNS = [
    (Column("支部", Kind.TEXT, 22), lambda f: f.branch.name),
    (Column("月份", Kind.TEXT, 9), lambda f: f"{f.month:%Y-%m}"),
    (Column("统计截至", Kind.DATE, 12), lambda f: f.as_of),
    (Column("开展活动(次)", Kind.NUMBER, 12), lambda f: f.activities_held),
    (Column("覆盖人数", Kind.NUMBER, 10), lambda f: f.people_reached),
    (Column("走访代办点(个)", Kind.NUMBER, 14), lambda f: f.points_reached),
    (Column("结对代办点(个)", Kind.NUMBER, 14), lambda f: f.points_paired),
    (Column("走访覆盖率(%)", Kind.NUMBER, 13), lambda f: f.points_reached_percent),
    (Column("收到代办(件)", Kind.NUMBER, 12), lambda f: f.errands_received),
    (Column("办结代办(件)", Kind.NUMBER, 12), lambda f: f.errands_resolved),
    (Column("逾期代办(件)", Kind.NUMBER, 12), lambda f: f.errands_overdue),
    (Column("办结用时中位数(天)", Kind.NUMBER, 18), lambda f: f.median_resolution_days),
    (Column("收到投诉(件)", Kind.NUMBER, 12), lambda f: f.complaints_received),
    (Column("办结投诉(件)", Kind.NUMBER, 12), lambda f: f.complaints_resolved),
    (Column("按时办结投诉(件)", Kind.NUMBER, 16), lambda f: f.complaints_resolved_in_time),
    (Column("按时办结率(%)", Kind.NUMBER, 13), lambda f: f.complaints_in_time_percent),
]
ACTIVITY_COLUMNS = [
    Column("日期", Kind.DATE, 12),
    Column("类型", Kind.TEXT, 12),
    Column("代办点", Kind.TEXT, 40),
    Column("覆盖人数", Kind.NUMBER, 10),
    Column("主题", Kind.TEXT, 40),
    Column("记录人", Kind.TEXT, 10),
]


def report_tables(figures, activities=None) -> list[Table]:
    """The sheet 支部月报 (one row per branch's ``selectors.BranchFigures``) and, when
    ``activities`` are given (held, with their points prefetched), the sheet 活动."""
    tables = [
        Table(
            "支部月报",
            [column for column, _value in FIGURE_COLUMNS],
            rows=[[value(figure) for _column, value in FIGURE_COLUMNS] for figure in figures],
        )
    ]
    if activities is not None:
        kinds = dict(BranchActivity.Kind.choices)
        topics = dict(ActivityTopic.choices)
        held = Table("活动", ACTIVITY_COLUMNS)
        for activity in activities:
            held.rows.append(
                [
                    activity.held_on,
                    kinds[activity.kind],
                    "、".join(p.name for p in activity.points.all()),
                    activity.people_reached,
                    "、".join(
                        [str(topics.get(code, code)) for code in activity.topics]
                        + ([activity.topics_other] if activity.topics_other else [])
                    ),
                    activity.created_by.display_name,
                ]
            )
        tables.append(held)
    return tables
