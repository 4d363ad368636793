"""Working days skip weekends and the recipient country's public holidays."""

from datetime import UTC, date, datetime

from agencies.workdays import add_working_days, is_working_day, working_days_between


def test_khmer_new_year_is_not_a_working_day_in_cambodia():
    for day in (14, 15, 16):
        assert not is_working_day(date(2026, 4, day), "KH")
    assert is_working_day(date(2026, 4, 14), "VN")


def test_songkran_is_not_a_working_day_in_thailand():
    for day in (13, 14, 15):
        assert not is_working_day(date(2026, 4, day), "TH")
    assert is_working_day(date(2026, 4, 13), "KH")


def test_five_working_days_across_khmer_new_year():
    # Friday 10 April 2026, 10:00 in Phnom Penh. Mon 13 counts; Tue 14 - Thu 16 are New Year;
    # Fri 17, Mon 20, Tue 21, Wed 22 complete five: due at the end of Wednesday 22 April, local.
    sent = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
    assert add_working_days(sent, 5, "KH") == datetime(2026, 4, 22, 17, 0, tzinfo=UTC)


def test_the_same_five_days_in_thailand_skip_songkran_instead():
    # Mon 13 - Wed 15 are Songkran: Thu 16, Fri 17, Mon 20, Tue 21, Wed 22.
    sent = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
    assert add_working_days(sent, 5, "TH") == datetime(2026, 4, 22, 17, 0, tzinfo=UTC)


def test_the_same_five_days_in_vietnam_are_unaffected():
    sent = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
    assert add_working_days(sent, 5, "VN") == datetime(2026, 4, 17, 17, 0, tzinfo=UTC)


def test_tet_holiday_in_vietnam():
    # Friday 13 Feb 2026; Tet holidays Mon 16 - Fri 20: the first working day is Mon 23.
    sent = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
    assert add_working_days(sent, 1, "VN") == datetime(2026, 2, 23, 17, 0, tzinfo=UTC)


def test_late_evening_local_time_counts_from_the_local_date():
    # 23:30 Friday in Bangkok is still Friday there (16:30 UTC): due end of Monday.
    sent = datetime(2026, 3, 6, 16, 30, tzinfo=UTC)
    assert add_working_days(sent, 1, "TH") == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def test_working_days_between_counts_only_working_days():
    assert working_days_between(date(2026, 4, 10), date(2026, 4, 22), "KH") == 5
    assert working_days_between(date(2026, 4, 10), date(2026, 4, 22), "VN") == 8
