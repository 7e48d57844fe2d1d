"""SIGE calendar: current month, declaration close, what can be sent. The clock is always pinned."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.clock import SANTIAGO, FixedClock
from reconcile.errors import UserError
from reconcile.sige_calendar import Month, SendVerdict, SigeCalendar, validate_close_value


def at(*args) -> datetime:
    """A Santiago wall-clock instant."""
    return datetime(*args, tzinfo=SANTIAGO)


@pytest.fixture(scope="module")
def cal() -> SigeCalendar:
    """Default rule only: 3rd working day of the next month at 17:00."""
    return SigeCalendar()


# --- Month --------------------------------------------------------------------------------

def test_month_parse_str_and_ordering():
    m = Month.parse("2026-11")
    assert m == Month(2026, 11)
    assert str(m) == "2026-11"
    assert Month(2026, 12) < Month(2027, 1) < Month(2027, 2)
    assert sorted([Month(2027, 1), Month(2026, 3), Month(2026, 12)]) == [
        Month(2026, 3), Month(2026, 12), Month(2027, 1)]


def test_month_navigation_across_the_year():
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2026, 5).next().previous() == Month(2026, 5)


def test_month_days_label_and_contains():
    feb = Month(2028, 2)  # leap year
    assert feb.first_day == date(2028, 2, 1)
    assert feb.last_day == date(2028, 2, 29)
    assert Month(2026, 2).last_day == date(2026, 2, 28)
    assert Month(2026, 12).last_day == date(2026, 12, 31)
    assert feb.contains(date(2028, 2, 29))
    assert not feb.contains(date(2028, 3, 1))
    assert not feb.contains(date(2027, 2, 1))
    assert Month(2026, 11).label_es == "noviembre 2026"
    assert Month(2026, 9).label_es == "septiembre 2026"


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "noviembre", "2026/11", ""])
def test_month_parse_rejects(bad):
    with pytest.raises(ValueError):
        Month.parse(bad)


# --- default close rule -------------------------------------------------------------------

def test_default_close_is_third_working_day_at_17(cal):
    # November 2026 starts on Sunday (also a holiday): Mon 2, Tue 3, Wed 4.
    assert cal.close_of(Month(2026, 10)) == at(2026, 11, 4, 17, 0)
    # December 2026 starts on Tuesday: 1, 2, 3.
    assert cal.close_of(Month(2026, 11)) == at(2026, 12, 3, 17, 0)


def test_default_close_skips_weekend(cal):
    # October 2026 starts on Thursday: Thu 1, Fri 2, (weekend), Mon 5.
    assert cal.close_of(Month(2026, 9)) == at(2026, 10, 5, 17, 0)


def test_default_close_skips_new_year(cal):
    assert cal.holiday_name(date(2026, 1, 1)) is not None
    # January 2026: Thu 1 is a holiday; Fri 2, (weekend), Mon 5, Tue 6.
    assert cal.close_of(Month(2025, 12)) == at(2026, 1, 6, 17, 0)


def test_default_close_skips_good_friday(cal):
    assert cal.holiday_name(date(2026, 4, 3)) is not None
    # April 2026: Wed 1, Thu 2, Fri 3 Viernes Santo, (weekend), Mon 6.
    assert cal.close_of(Month(2026, 3)) == at(2026, 4, 6, 17, 0)


def test_default_rule_is_configurable():
    cal = SigeCalendar(close_working_day=1, close_time=time(12, 30))
    assert cal.close_of(Month(2025, 12)) == at(2026, 1, 2, 12, 30)


def test_close_is_aware_santiago(cal):
    close = cal.close_of(Month(2026, 6))
    assert close.tzinfo is not None
    assert close.utcoffset() == timedelta(hours=-4)  # July: standard time


# --- explicit closes: the August 2021 public example ---------------------------------------

@pytest.fixture(scope="module")
def aug2021() -> SigeCalendar:
    return SigeCalendar({"2021-08": datetime(2021, 9, 2, 17, 0)})


def test_explicit_close_overrides_the_rule(aug2021):
    assert aug2021.close_of(Month(2021, 8)) == at(2021, 9, 2, 17, 0)
    assert aug2021.has_explicit_close(Month(2021, 8))
    # The rule would have said Fri 3 Sep (Wed 1, Thu 2, Fri 3).
    assert SigeCalendar().close_of(Month(2021, 8)) == at(2021, 9, 3, 17, 0)
    # Other months still follow the rule.
    assert not aug2021.has_explicit_close(Month(2021, 9))


@pytest.mark.parametrize("now, expected", [
    (at(2021, 9, 1, 0, 0), Month(2021, 8)),        # window opens: still August
    (at(2021, 9, 2, 16, 59, 59), Month(2021, 8)),  # one second before the close
    (at(2021, 9, 2, 17, 0, 0), Month(2021, 9)),    # exactly at the close: August is closed
    (at(2021, 9, 2, 17, 0, 1), Month(2021, 9)),    # one second after
    (at(2021, 9, 3, 8, 0), Month(2021, 9)),        # the day after the close
    (at(2021, 8, 31, 23, 59, 59), Month(2021, 8)),
])
def test_current_month_around_the_public_example(aug2021, now, expected):
    assert aug2021.current_month(now) == expected


def test_august_2021_last_day_sendable_until_close(aug2021):
    day = date(2021, 8, 31)
    assert aug2021.can_send(day, at(2021, 9, 2, 16, 59, 59)).ok
    verdict = aug2021.can_send(day, at(2021, 9, 2, 17, 0, 0))
    assert verdict.code == "mes_pasado"
    assert verdict.reason == (
        "El mes de agosto 2021 ya cerró su período de declaración en SIGE (cerró el 02-09-2021 17:00).")


def test_time_left_in_the_public_window(aug2021):
    assert aug2021.time_left(at(2021, 9, 1, 0, 0)) == timedelta(hours=41)
    assert aug2021.time_left(at(2021, 9, 2, 16, 59, 59)) == timedelta(seconds=1)
    # At the close, the clock starts counting toward September's close (Tue 5 Oct 2021).
    assert aug2021.current_month(at(2021, 9, 2, 17, 0)) == Month(2021, 9)
    assert aug2021.close_of(Month(2021, 9)) == at(2021, 10, 5, 17, 0)


# --- first days of a month (default rule: October 2026 closes Wed 4 Nov 17:00) -------------

@pytest.mark.parametrize("now, expected", [
    (at(2026, 11, 1, 0, 0), Month(2026, 10)),
    (at(2026, 11, 3, 23, 59), Month(2026, 10)),
    (at(2026, 11, 4, 16, 59, 59), Month(2026, 10)),
    (at(2026, 11, 4, 17, 0, 0), Month(2026, 11)),
    (at(2026, 11, 4, 17, 0, 1), Month(2026, 11)),
    (at(2026, 11, 5, 9, 0), Month(2026, 11)),
    (at(2026, 10, 31, 23, 59), Month(2026, 10)),
])
def test_current_month_first_days(cal, now, expected):
    assert cal.current_month(now) == expected


def test_current_month_accepts_naive_and_utc(cal):
    assert cal.current_month(datetime(2026, 11, 4, 16, 0)) == Month(2026, 10)  # naive = Santiago
    # 4 Nov 2026 17:00 Santiago is 20:00 UTC (summer time, -03:00).
    assert cal.current_month(datetime(2026, 11, 4, 19, 59, 59, tzinfo=timezone.utc)) == Month(2026, 10)
    assert cal.current_month(datetime(2026, 11, 4, 20, 0, tzinfo=timezone.utc)) == Month(2026, 11)


def test_works_with_the_shared_clock_fixture(cal, clock: FixedClock):
    assert cal.current_month(clock.now()) == Month(2026, 11)
    clock.at = at(2026, 11, 2, 9, 0)
    assert cal.current_month(clock.now()) == Month(2026, 10)


def test_time_left(cal):
    assert cal.time_left(at(2026, 11, 3, 17, 0)) == timedelta(days=1)
    # Exactly at the close, the next close (Thu 3 Dec 17:00) is 29 days away.
    assert cal.time_left(at(2026, 11, 4, 17, 0)) == timedelta(days=29)
    assert cal.time_left(at(2026, 12, 3, 16, 0)) == timedelta(hours=1)


def test_time_left_never_negative():
    # A calendar built on an odd explicit close still never reports negative time.
    cal = SigeCalendar({"2026-10": datetime(2026, 11, 1, 0, 0)})
    for now in (at(2026, 11, 1, 0, 0), at(2026, 11, 30, 23, 59), at(2026, 12, 3, 17, 0)):
        assert cal.time_left(now) > timedelta(0)


# --- DST (Chile: back one hour on the first Sunday of April, forward on the first of September)

def test_close_stays_17_wall_time_across_dst(cal):
    march = cal.close_of(Month(2026, 3))   # Mon 6 Apr 2026, after the April change
    august = cal.close_of(Month(2026, 8))  # Thu 3 Sep 2026, before the September change
    september = cal.close_of(Month(2026, 9))  # Mon 5 Oct 2026, after it
    assert (march.hour, march.minute) == (17, 0)
    assert (august.hour, august.minute) == (17, 0)
    assert (september.hour, september.minute) == (17, 0)
    assert march.utcoffset() == timedelta(hours=-4)
    assert august.utcoffset() == timedelta(hours=-4)
    assert september.utcoffset() == timedelta(hours=-3)
    assert august == at(2026, 9, 3, 17, 0)


def test_time_left_across_april_change_counts_the_extra_hour(cal):
    # Sat 4 Apr 2026 12:00 (-03) to Mon 6 Apr 17:00 (-04): 53 wall hours, 54 real hours.
    assert cal.time_left(at(2026, 4, 4, 12, 0)) == timedelta(hours=54)


def test_time_left_across_september_change_loses_an_hour(cal):
    # Sat 5 Sep 2026 12:00 (-04) to Mon 5 Oct 17:00 (-03): one real hour less than the wall clock.
    assert cal.time_left(at(2026, 9, 5, 12, 0)) == timedelta(days=30, hours=4)


def test_instants_next_to_the_dst_changes(cal):
    # Around the April change (00:00 Sun 5 Apr becomes 23:00 Sat 4 Apr), SIGE is on March.
    before = datetime(2026, 4, 5, 2, 30, tzinfo=timezone.utc)   # 23:30 Sat 4 Apr, summer time
    after = datetime(2026, 4, 5, 3, 30, tzinfo=timezone.utc)    # 23:30 Sat 4 Apr again, winter time
    assert cal.current_month(before) == cal.current_month(after) == Month(2026, 3)
    assert cal.time_left(before) - cal.time_left(after) == timedelta(hours=1)
    # An explicit close right at the April change, given as a UTC instant.
    edge = SigeCalendar({"2026-03": datetime(2026, 4, 5, 3, 0, tzinfo=timezone.utc)})
    assert edge.current_month(datetime(2026, 4, 5, 2, 59, 59, tzinfo=timezone.utc)) == Month(2026, 3)
    assert edge.current_month(datetime(2026, 4, 5, 3, 0, tzinfo=timezone.utc)) == Month(2026, 4)


# --- can_send: every reason ---------------------------------------------------------------

def test_can_send_ok_today_and_earlier_this_month(cal):
    now = at(2026, 11, 16, 10, 0)
    assert cal.can_send(date(2026, 11, 16), now) == SendVerdict(True, None, None)
    assert cal.can_send(date(2026, 11, 2), now).ok


def test_can_send_mes_pasado():
    cal = SigeCalendar({"2026-10": datetime(2026, 11, 5, 17, 0)})
    verdict = cal.can_send(date(2026, 10, 30), at(2026, 11, 16, 10, 0))
    assert not verdict.ok
    assert verdict.code == "mes_pasado"
    assert verdict.reason == (
        "El mes de octubre 2026 ya cerró su período de declaración en SIGE (cerró el 05-11-2026 17:00).")
    # Months further back, too.
    assert cal.can_send(date(2025, 3, 3), at(2026, 11, 16, 10, 0)).code == "mes_pasado"


def test_can_send_mes_no_abierto_in_the_first_days(cal):
    now = at(2026, 11, 3, 10, 0)  # SIGE still on October
    verdict = cal.can_send(date(2026, 11, 2), now)
    assert not verdict.ok
    assert verdict.code == "mes_no_abierto"
    assert verdict.reason == (
        "SIGE aún está en el mes de octubre 2026; noviembre 2026 se abre al cierre del período, "
        "el 04-11-2026 17:00.")
    # The previous month is still open.
    assert cal.can_send(date(2026, 10, 30), now).ok
    assert cal.can_send(date(2026, 10, 1), now).ok


def test_can_send_the_day_after_the_close(cal):
    now = at(2026, 11, 5, 8, 0)
    assert cal.can_send(date(2026, 10, 30), now).code == "mes_pasado"
    assert cal.can_send(date(2026, 11, 2), now).ok


def test_can_send_mes_futuro(cal):
    verdict = cal.can_send(date(2026, 12, 1), at(2026, 11, 16, 10, 0))
    assert (verdict.ok, verdict.code) == (False, "mes_futuro")
    assert "diciembre 2026" in verdict.reason and "noviembre 2026" in verdict.reason
    # While SIGE is on October, December is "future", not "not yet open".
    assert cal.can_send(date(2026, 12, 1), at(2026, 11, 2, 10, 0)).code == "mes_futuro"


def test_can_send_fecha_futura(cal):
    verdict = cal.can_send(date(2026, 11, 17), at(2026, 11, 16, 23, 59))
    assert (verdict.ok, verdict.code) == (False, "fecha_futura")
    assert "17-11-2026" in verdict.reason
    # At midnight the day becomes sendable.
    assert cal.can_send(date(2026, 11, 17), at(2026, 11, 17, 0, 0)).ok


def test_can_send_sin_registro(cal):
    verdict = cal.can_send(date(2026, 11, 12), at(2026, 11, 16, 10, 0), has_attendance=False)
    assert (verdict.ok, verdict.code) == (False, "sin_registro")
    assert verdict.reason == "No hay asistencia registrada el 12-11-2026: solo se envían días trabajados."


def test_can_send_rules_apply_in_order(cal):
    now = at(2026, 11, 16, 10, 0)
    # A closed month wins over a missing record; a future day wins over a missing record.
    assert cal.can_send(date(2026, 10, 30), now, has_attendance=False).code == "mes_pasado"
    assert cal.can_send(date(2026, 11, 20), now, has_attendance=False).code == "fecha_futura"
    # Before the close, a future day of the new month is "not yet open".
    assert cal.can_send(date(2026, 11, 20), at(2026, 11, 2, 10, 0)).code == "mes_no_abierto"


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)))
def test_property_today_sendable_iff_sige_is_on_the_calendar_month(naive_now):
    cal = SigeCalendar()
    now = naive_now.replace(tzinfo=SANTIAGO)
    current = cal.current_month(now)
    calendar_month = Month.of(now.date())
    assert current in (calendar_month, calendar_month.previous())
    assert cal.can_send(now.date(), now).ok == (current == calendar_month)
    left = cal.time_left(now)
    assert left > timedelta(0)
    assert (now.astimezone(timezone.utc) + left) == cal.close_of(current).astimezone(timezone.utc)


# --- holidays: warnings only --------------------------------------------------------------

def test_holiday_name_in_spanish(cal):
    assert "Inmaculada Concepción" in cal.holiday_name(date(2026, 12, 8))
    assert "Navidad" in cal.holiday_name(date(2026, 12, 25))
    assert cal.holiday_name(date(2026, 12, 9)) is None


def test_regional_holidays_only_with_region():
    assert SigeCalendar().holiday_name(date(2026, 6, 7)) is None
    assert SigeCalendar(region="AP").holiday_name(date(2026, 6, 7)) is not None  # Arica
    assert SigeCalendar(region="NB").holiday_name(date(2026, 8, 20)) is not None  # Ñuble
    assert SigeCalendar(region="AP").holiday_name(date(2026, 8, 20)) is None


def test_unknown_region_is_a_user_error():
    with pytest.raises(UserError, match="ZZ"):
        SigeCalendar(region="ZZ")


def test_worked_day_warnings(cal):
    warnings = cal.worked_day_warnings(
        [date(2026, 12, 9), date(2026, 12, 8), date(2026, 12, 12), date(2026, 12, 8)])
    assert warnings == [
        f"El 08-12-2026 es feriado ({cal.holiday_name(date(2026, 12, 8))}) y tiene asistencia registrada.",
        "El 12-12-2026 es sábado y tiene asistencia registrada.",
    ]
    assert "Inmaculada Concepción" in warnings[0]
    assert cal.worked_day_warnings([date(2026, 11, 16), date(2026, 11, 17)]) == []


# --- settings -----------------------------------------------------------------------------

def test_validate_close_value():
    assert validate_close_value("2021-09-02T17:00") == at(2021, 9, 2, 17, 0)
    assert validate_close_value(" 2021-09-02 17:00:00 ") == at(2021, 9, 2, 17, 0)
    # An explicit offset is converted to Santiago.
    assert validate_close_value("2026-11-04T20:00:00+00:00") == at(2026, 11, 4, 17, 0)
    assert validate_close_value("2026-11-04T20:00:00+00:00").tzinfo == SANTIAGO


@pytest.mark.parametrize("bad", ["mañana", "2026-13-01T17:00", "2026-11-04", "", "17:00",
                                 "2026-09-06T00:30"])  # the last one is skipped by the DST change
def test_validate_close_value_rejects(bad):
    with pytest.raises(UserError) as caught:
        validate_close_value(bad, "calendar.close.2026-08")
    assert f"«{bad}»" in caught.value.reasons[0]
    assert "calendar.close.2026-08" in caught.value.reasons[0]


def test_from_settings_builds_the_calendar():
    cal = SigeCalendar.from_settings({
        "calendar.close.2021-08": "2021-09-02T17:00",
        "calendar.default_close_working_day": "2",
        "calendar.default_close_time": "18:30",
        "sync.concurrency": "4",  # not ours: ignored
    })
    assert cal.close_of(Month(2021, 8)) == at(2021, 9, 2, 17, 0)
    assert cal.close_of(Month(2021, 9)) == at(2021, 10, 4, 18, 30)  # Fri 1, Mon 4
    assert SigeCalendar.from_settings({}).close_of(Month(2026, 10)) == at(2026, 11, 4, 17, 0)


def test_from_settings_region():
    cal = SigeCalendar.from_settings({"calendar.region": "nb"})
    assert cal.holiday_name(date(2026, 8, 20)) is not None


@pytest.mark.parametrize("key, value", [
    ("calendar.close.2026-11", "3 de diciembre"),
    ("calendar.close.2026-11", "2026-12-03"),
    ("calendar.close.2026-13", "2026-12-03T17:00"),
    ("calendar.close.2026-11", "2026-11-20T17:00"),  # inside November: must fall in December
    ("calendar.close.2026-11", "2027-01-05T17:00"),  # too late: January
    ("calendar.default_close_working_day", "0"),
    ("calendar.default_close_working_day", "tres"),
    ("calendar.default_close_working_day", "99"),
    ("calendar.default_close_time", "25:00"),
    ("calendar.default_close_time", "5pm"),
    ("calendar.region", "XX"),
])
def test_from_settings_rejects_with_key_and_value(key, value):
    with pytest.raises(UserError) as caught:
        SigeCalendar.from_settings({key: value})
    message = caught.value.reasons[0]
    assert key in message
    assert f"«{value}»" in message


def test_from_settings_reports_every_bad_value():
    with pytest.raises(UserError) as caught:
        SigeCalendar.from_settings({
            "calendar.close.2026-11": "nunca",
            "calendar.close.2026-10": "2026-11-05T17:00",  # fine
            "calendar.default_close_time": "99:99",
        })
    assert len(caught.value.reasons) == 2
    assert any("nunca" in r for r in caught.value.reasons)
    assert any("99:99" in r for r in caught.value.reasons)


def test_constructor_checks_explicit_closes():
    with pytest.raises(UserError):
        SigeCalendar({"2026-11": datetime(2026, 11, 20, 17, 0)})
    with pytest.raises(UserError):
        SigeCalendar({"noviembre": datetime(2026, 12, 3, 17, 0)})
