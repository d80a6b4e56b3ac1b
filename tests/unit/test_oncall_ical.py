"""iCalendar export: exact text, folding at 75 octets, TEXT escaping, stable UIDs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.oncall.engine import timeline
from incidents.oncall.ical import escape_text, fold_line, schedule_ical, shift_uid, user_ical
from incidents.oncall.model import Layer, Override, Schedule, TurnLength

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
D = timedelta(days=1)
LONG = "alexandra.konstantinopoulou-vanderbilt@platform-engineering.example.com"
SCHEDULE = Schedule(
    name="Ops, DB; core",
    timezone="UTC",
    layers=[
        Layer(
            name="Primary, EU; \\ops\nnight",
            participants=["bob", LONG],
            start=T0,
            turn=TurnLength(kind="daily"),
        )
    ],
)


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_two_shift_schedule_exact_text() -> None:
    text = schedule_ical(SCHEDULE, T0, T0 + 2 * D, name="Ops, DB; on-call\\rota\nEU")
    assert text == (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//PixelView//On-call schedule//EN\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\n"
        "NAME:Ops\\, DB\\; on-call\\\\rota\\nEU\r\n"
        "X-WR-CALNAME:Ops\\, DB\\; on-call\\\\rota\\nEU\r\n"
        "BEGIN:VEVENT\r\n"
        "UID:8829d8ae4808b8c0ef4d2b609b8f53d5@pixelview\r\n"
        "DTSTAMP:20260105T090000Z\r\n"
        "DTSTART:20260105T090000Z\r\n"
        "DTEND:20260106T090000Z\r\n"
        "SUMMARY:On call: bob\r\n"
        "DESCRIPTION:Layer: Primary\\, EU\\; \\\\ops\\nnight\r\n"
        "END:VEVENT\r\n"
        "BEGIN:VEVENT\r\n"
        "UID:84bf6ce8bfe9589829ac70527f3ceb82@pixelview\r\n"
        "DTSTAMP:20260105T090000Z\r\n"
        "DTSTART:20260106T090000Z\r\n"
        "DTEND:20260107T090000Z\r\n"
        # 17 octets of "SUMMARY:On call: " and 58 of the user id make the first 75.
        "SUMMARY:On call: alexandra.konstantinopoulou-vanderbilt@platform-engineerin\r\n"
        " g.example.com\r\n"
        "DESCRIPTION:Layer: Primary\\, EU\\; \\\\ops\\nnight\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def test_every_line_ends_with_crlf_and_fits_75_octets() -> None:
    text = schedule_ical(SCHEDULE, T0, T0 + 30 * D, name="x" * 200)
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "NAME:" + "x" * 200 in unfold(text)


def test_dtstamp_is_the_given_stamp_in_utc() -> None:
    stamp = datetime(2026, 1, 1, 12, 30, 15, tzinfo=UTC)
    text = schedule_ical(SCHEDULE, T0, T0 + D, name="n", stamp=stamp)
    assert "DTSTAMP:20260101T123015Z" in unfold(text)
    with pytest.raises(ValueError, match="stamp must be timezone-aware"):
        schedule_ical(SCHEDULE, T0, T0 + D, name="n", stamp=datetime(2026, 1, 1))  # noqa: DTZ001


def test_user_export_has_only_that_users_shifts() -> None:
    # LONG takes the first two hours of bob's turn on the 17th.
    cover = Override(user=LONG, start=T0 + 12 * D, end=T0 + 12 * D + timedelta(hours=2))
    schedule = SCHEDULE.model_copy(update={"overrides": [cover]})
    text = user_ical(schedule, "bob", T0, T0 + 14 * D)
    lines = unfold(text)
    assert lines.count("BEGIN:VEVENT") == 7
    assert [line for line in lines if line.startswith("DTSTART:")] == [
        *(f"DTSTART:202601{day:02d}T090000Z" for day in (5, 7, 9, 11, 13, 15)),
        "DTSTART:20260117T110000Z",
    ]
    assert {line for line in lines if line.startswith("SUMMARY:")} == {
        "SUMMARY:Ops\\, DB\\; core on call"
    }
    assert "X-WR-CALNAME:Ops\\, DB\\; core: bob" in lines
    theirs = unfold(user_ical(schedule, LONG, T0, T0 + 14 * D))
    assert theirs.count("BEGIN:VEVENT") == 8  # 7 turns and the override
    assert "DESCRIPTION:Override" in theirs
    assert user_ical(schedule, "nobody", T0, T0 + D).count("BEGIN:VEVENT") == 0


def test_uids_are_stable_and_distinct() -> None:
    first = schedule_ical(SCHEDULE, T0, T0 + 4 * D, name="a")
    again = schedule_ical(SCHEDULE, T0 - D, T0 + 5 * D, name="b", stamp=T0 + D)
    uids = [line for line in unfold(first) if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) == 4
    assert set(uids) <= {line for line in unfold(again) if line.startswith("UID:")}
    shift = timeline(SCHEDULE, T0, T0 + D)[0]
    assert shift_uid(SCHEDULE, shift, feed="schedule") != shift_uid(
        SCHEDULE, shift, feed="user:bob"
    )


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text: ok", "plain text: ok"),
        ("a,b;c\\d", "a\\,b\\;c\\\\d"),
        ("line1\nline2\r\nline3\rline4", "line1\\nline2\\nline3\\nline4"),
        ('"quoted" & tab\there', '"quoted" & tab\there'),
        ("bell\x07 and del\x7f dropped", "bell and del dropped"),
        ("\\n is not a newline", "\\\\n is not a newline"),
        ("café ☕", "café ☕"),
    ],
)
def test_escape_text(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped


@pytest.mark.parametrize(
    ("line", "folded"),
    [
        ("x" * 75, "x" * 75),
        ("x" * 76, "x" * 75 + "\r\n x"),
        ("x" * 149, "x" * 75 + "\r\n " + "x" * 74),
        ("x" * 150, "x" * 75 + "\r\n " + "x" * 74 + "\r\n x"),
        # "é" is 2 octets: 74 + 2 would make 76, so it starts the next line whole.
        ("x" * 74 + "é", "x" * 74 + "\r\n é"),
        ("x" * 73 + "é", "x" * 73 + "é"),
        ("x" * 72 + "☕☕", "x" * 72 + "☕\r\n ☕"),  # 3-octet characters
        ("x" * 73 + "☕☕", "x" * 73 + "\r\n ☕☕"),
        ("", ""),
    ],
)
def test_fold_line(line: str, folded: str) -> None:
    assert fold_line(line) == folded
    assert folded.replace("\r\n ", "") == line
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
