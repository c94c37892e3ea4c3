"""The branches' monthly report as a spreadsheet: one row of figures per branch (the city
view, or one branch's report) and, for one branch, the activities it held that month.

The spreadsheet goes into the offices' own monthly reports, which are in Chinese
whatever language the screen is in; fixed headers also let people build on the file.
"""

from outreach.common.spreadsheets import Column, Kind, Table
from outreach.models import ActivityTopic, BranchActivity

FIGURE_COLUMNS = [
    (Column("支部", Kind.TEXT, 22), lambda f: f.branch.name if f.branch else "合计"),
    (Column("月份", Kind.TEXT, 9), lambda f: f"{f.month:%Y-%m}"),
    (Column("统计截至", Kind.DATE, 12), lambda f: f.as_of),
    (Column("开展活动(次)", Kind.NUMBER, 12), lambda f: f.activities_held),
    (Column("覆盖人数", Kind.NUMBER, 10), lambda f: f.people_reached),
    (Column("走访代办点(个)", Kind.NUMBER, 14), lambda f: f.points_reached),
    (Column("结对代办点(个)", Kind.NUMBER, 14), lambda f: f.points_paired),
    (Column("走访覆盖率(%)", Kind.NUMBER, 13, ratio=True), lambda f: f.points_reached_percent),
    (Column("收到代办(件)", Kind.NUMBER, 12), lambda f: f.errands_received),
    (Column("办结代办(件)", Kind.NUMBER, 12), lambda f: f.errands_resolved),
    (Column("逾期代办(件)", Kind.NUMBER, 12), lambda f: f.errands_overdue),
    (Column("办结用时中位数(天)", Kind.NUMBER, 18, ratio=True), lambda f: f.median_resolution_days),
    (Column("收到投诉(件)", Kind.NUMBER, 12), lambda f: f.complaints_received),
    (Column("办结投诉(件)", Kind.NUMBER, 12), lambda f: f.complaints_resolved),
    (Column("按时办结投诉(件)", Kind.NUMBER, 16), lambda f: f.complaints_resolved_in_time),
    (Column("按时办结率(%)", Kind.NUMBER, 13, ratio=True), lambda f: f.complaints_in_time_percent),
]
ACTIVITY_COLUMNS = [
    Column("日期", Kind.DATE, 12),
    Column("类型", Kind.TEXT, 12),
    Column("代办点", Kind.TEXT, 40),
    Column("覆盖人数", Kind.NUMBER, 10),
    Column("主题", Kind.TEXT, 40),
    Column("记录人", Kind.TEXT, 10),
]


# Under the table of several branches: what the total row adds up and what it does not.
TOTAL_NOTE = (
    "注：合计行的次数、人数、个数和件数是各支部之和（一个代办点与几个支部结对，就按几个支部计）；"
    "走访覆盖率、办结用时中位数和按时办结率按全部支部的数据计算，不是各行相加。"
)


def report_tables(figures, activities=None, total=None) -> list[Table]:
    """The sheet 支部月报 (one row per branch's ``selectors.BranchFigures``, and ``total``,
    ``selectors.branch_total``, as its last row when given) and, when ``activities`` are
    given (held, with their points prefetched), the sheet 活动."""
    report = Table(
        "支部月报",
        [column for column, _value in FIGURE_COLUMNS],
        rows=[[value(figure) for _column, value in FIGURE_COLUMNS] for figure in figures],
    )
    if total is not None:
        report.total = [value(total) for _column, value in FIGURE_COLUMNS]
        report.notes = [TOTAL_NOTE]
    tables = [report]
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
