"""Replacement values hold their rules for any input (hypothesis), not just the examples."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from medanon.dicom.values import round_age, shift_date, shift_datetime

ages = st.builds(lambda n, unit: f"{n:03d}{unit}", st.integers(0, 999), st.sampled_from("DWMY"))
dates = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))


@given(ages)
def test_rounded_age_is_a_multiple_of_five_years_or_90(age):
    rounded = round_age(age)
    assert rounded is not None and rounded.endswith("Y")
    years = int(rounded[:3])
    assert years % 5 == 0 and years <= 90


@given(st.integers(0, 89))
def test_rounded_age_is_within_two_and_a_half_years(years):
    assert abs(int(round_age(f"{years:03d}Y")[:3]) - years) <= 2.5


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=6))
def test_invalid_age_string_gives_none(text):
    assert round_age(text) is None


@given(dates, dates, st.integers(365, 1825))
def test_shift_keeps_intervals_between_dates(first, second, days):
    a = shift_date(first.strftime("%Y%m%d"), days)
    b = shift_date(second.strftime("%Y%m%d"), days)
    parse = lambda v: dt.datetime.strptime(v, "%Y%m%d").date()  # noqa: E731
    assert parse(b) - parse(a) == second - first
    assert first - parse(a) == dt.timedelta(days=days)


@given(dates, st.integers(365, 1825))
def test_shift_datetime_keeps_time_and_offset(date, days):
    value = date.strftime("%Y%m%d") + "101530.25+0100"
    shifted = shift_datetime(value, days)
    assert shifted is not None and shifted.endswith("101530.25+0100") and shifted[:8] != value[:8]


def test_shift_refuses_partial_or_invalid_dates():
    assert shift_date("2023", 400) is None and shift_date("20230231", 400) is None
