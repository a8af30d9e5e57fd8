"""Commands and views of the facility catalogue. Organisations are named by short name and
facilities by code, as in the CLI; opening hours are written as people write them."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from coalition.common.validation import CurrencyCode, Name, NationCode
from coalition.facilities.models import (
    FacilityKind,
    FacilityStatus,
    FeedKind,
    OccurrenceStatus,
    QuotaHolder,
    QuotaPeriod,
    RateUnit,
)
from coalition.registry.schemas import Command, Patch, View
from coalition.techdata.schemas import LabelIn, LabelOut

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def time_zone(value: str) -> str:
    name = value.strip()
    if name not in available_timezones():
        raise ValueError(f"'{value}' is not an IANA time zone such as Europe/London")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise ValueError(f"'{value}' is not an IANA time zone") from None
    return name


def capability(value: str) -> str:
    code = value.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+){0,4}", code):
        raise ValueError(f"'{value}' is not a capability code such as aero.hypersonic")
    return code


TimeZone = Annotated[str, AfterValidator(time_zone)]
Capability = Annotated[str, AfterValidator(capability)]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=40, pattern=r"^[A-Z0-9-]+$"),
]
#: "mon": "08:00-18:00"; "00:00-24:00" for all day.
Hours = dict[str, str]


def parse_hours(hours: dict[str, str]) -> dict[str, list[int]]:
    """{"mon": "08:00-18:00"} -> {"0": [480, 1080]}: weekday number, minutes after local
    midnight. Raises ValueError("opening_hours: ...")."""
    out: dict[str, list[int]] = {}
    for day, text in hours.items():
        name = day.strip().lower()
        key = name[:3]
        if key not in WEEKDAYS or name not in (key, _FULL_NAMES[WEEKDAYS.index(key)]):
            raise ValueError(f"opening_hours: '{day}' is not a weekday (mon ... sun)")
        match = _HOURS.match(text.strip())
        if not match:
            raise ValueError(f"opening_hours: {day}: write HH:MM-HH:MM, e.g. 08:00-18:00")
        if str(WEEKDAYS.index(key)) in out:
            raise ValueError(f"opening_hours: {day}: the day is given twice")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or closes > 1440 or opens >= closes:
            raise ValueError(f"opening_hours: {day}: {text} is not a time span within a day")
        out[str(WEEKDAYS.index(key))] = [opens, closes]
    return out


def _check_hours(hours: dict[str, str]) -> None:
    """parse_hours as a field validator: pydantic names the field itself."""
    try:
        parse_hours(hours)
    except ValueError as error:
        raise ValueError(str(error).removeprefix("opening_hours: ")) from None


def hours_text(stored: dict[str, Any]) -> dict[str, str]:
    return {
        WEEKDAYS[
            int(day)
        ]: f"{span[0] // 60:02d}:{span[0] % 60:02d}-{span[1] // 60:02d}:{span[1] % 60:02d}"
        for day, span in sorted(stored.items())
    }


class FacilityIn(Command):
    code: Code = Field(description="Upper-case code, e.g. WHFL-HWT.")
    name: Name
    kind: FacilityKind
    organisation: str = Field(min_length=1, max_length=40, description="Owner's short name.")
    location: Name
    time_zone: TimeZone = Field(examples=["Australia/Adelaide"])
    description: str | None = Field(default=None, max_length=10000)
    capabilities: list[Capability] = Field(default=[], max_length=40)
    label: LabelIn
    tcp_applies: bool = False
    capacity: int = Field(default=1, ge=1, le=1000)
    rate: Decimal | None = Field(default=None, gt=0, max_digits=14, decimal_places=3)
    rate_currency: CurrencyCode | None = None
    rate_unit: RateUnit | None = None
    opening_hours: Hours = Field(
        default={}, description='Per weekday, e.g. {"mon": "08:00-18:00"}; empty: always open.'
    )

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: Hours) -> Hours:
        _check_hours(value)
        return value

    @model_validator(mode="after")
    def _rate(self) -> Self:
        given = [self.rate is not None, self.rate_currency is not None, self.rate_unit is not None]
        if any(given) and not all(given):
            raise ValueError("rate: give the rate, its currency and its unit together")
        return self


class FacilityUpdate(Patch):
    clearable: ClassVar[frozenset[str]] = frozenset({"description"})
    name: Name | None = None
    location: Name | None = None
    time_zone: TimeZone | None = None
    description: str | None = Field(default=None, max_length=10000)
    capabilities: list[Capability] | None = Field(default=None, max_length=40)
    label: LabelIn | None = None
    tcp_applies: bool | None = None
    capacity: int | None = Field(default=None, ge=1, le=1000)
    opening_hours: Hours | None = None
    status: FacilityStatus | None = None

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: Hours | None) -> Hours | None:
        if value is not None:
            _check_hours(value)
        return value


class ClosureIn(Command):
    first_day: date
    last_day: date
    reason: str = Field(min_length=3, max_length=200)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.last_day < self.first_day:
            raise ValueError("last_day: is before first_day")
        return self


class ClosureOut(View):
    first_day: date
    last_day: date
    reason: str


class FacilityOut(View):
    id: uuid.UUID
    code: str
    name: str
    kind: FacilityKind
    status: FacilityStatus
    organisation: str
    nation: str
    location: str
    time_zone: str
    description: str | None
    capabilities: list[str]
    label: LabelOut
    tcp_applies: bool
    capacity: int
    rate: Decimal | None
    rate_currency: str | None
    rate_unit: RateUnit | None
    opening_hours: dict[str, str]
    closures: list[ClosureOut]
    allowed_actions: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


# --- bookings ----------------------------------------------------------------------------------


class BookingIn(Command):
    """A request to use a facility for a project. Times without a zone are the facility's
    local time; a recurring booking repeats by an RFC 5545 RRULE in that zone."""

    reference: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
    facility: str = Field(min_length=2, max_length=40, description="Facility code.")
    project: str = Field(min_length=1, max_length=40, description="Project code.")
    purpose: str = Field(min_length=3, max_length=2000)
    starts: datetime
    ends: datetime
    recurrence: str | None = Field(
        default=None, max_length=300, examples=["FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6"]
    )
    exceptions: list[datetime] = Field(
        default=[], max_length=100, description="Starts of occurrences left out."
    )
    participant_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)

    @field_validator("participant_ids")
    @classmethod
    def _once(cls, ids: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(ids)) != len(ids):
            raise ValueError("a person is listed twice")
        return ids


class BookingDecisionIn(Command):
    outcome: str = Field(pattern="^(approved|rejected)$")
    note: str | None = Field(default=None, max_length=2000)


class BookingCancelIn(Command):
    reason: str = Field(min_length=3, max_length=2000)


class OccurrenceCancelIn(Command):
    """Cancel one occurrence of a booking, named by its start (the facility's local time
    when given without a zone)."""

    starts: datetime
    reason: str = Field(min_length=3, max_length=2000)


class NoShowIn(Command):
    """Mark an occurrence that has started as a no-show."""

    starts: datetime
    note: str | None = Field(default=None, max_length=2000)


class OccurrenceOut(View):
    starts_at: datetime
    ends_at: datetime
    status: OccurrenceStatus = OccurrenceStatus.SCHEDULED
    noted_by: str | None = None
    note: str | None = None


class ParticipantOut(View):
    person_id: uuid.UUID
    name: str
    organisation: str


class BookingOut(View):
    id: uuid.UUID
    reference: str
    facility: str
    facility_id: uuid.UUID
    time_zone: str
    project: str
    purpose: str
    starts_at: datetime
    ends_at: datetime
    recurrence: str | None
    status: str
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    occurrences: list[OccurrenceOut]
    participants: list[ParticipantOut]
    allowed_actions: list[str] = Field(default_factory=list)


# --- quotas and utilisation -------------------------------------------------------------------

#: The most hours a quota may allow: a leap year, day and night.
MAX_QUOTA_HOURS = 366 * 24


class QuotaIn(Command):
    """The booked hours a project, or the projects a nation leads, may hold at a facility
    in each week, month or calendar year of its time zone. Setting it again replaces it."""

    project: str | None = Field(default=None, min_length=1, max_length=40)
    nation: NationCode | None = Field(default=None, description="Alpha-3, e.g. GBR.")
    period: QuotaPeriod
    hours: Decimal = Field(gt=0, le=MAX_QUOTA_HOURS, max_digits=6, decimal_places=2)

    @field_validator("hours")
    @classmethod
    def _minutes(cls, value: Decimal) -> Decimal:
        if (value * 60) % 1:
            raise ValueError("give whole minutes, e.g. 7.5 or 7.25")
        return value

    @model_validator(mode="after")
    def _holder(self) -> Self:
        if (self.project is None) == (self.nation is None):
            raise ValueError("project: name a project or a nation, not both")
        return self


class QuotaOut(View):
    id: uuid.UUID
    facility: str
    holder_kind: QuotaHolder
    project: str | None
    nation: str | None
    period: QuotaPeriod
    hours: Decimal
    #: The current period, in the facility's zone, and the hours held in it.
    current_period: str
    held_hours: Decimal
    set_by: str
    updated_at: datetime


class UsageFigures(View):
    """Hours within the report's days. requested = approved + pending + rejected +
    cancelled; approved = used + no-show + approved hours still to come."""

    requested_hours: Decimal
    approved_hours: Decimal
    pending_hours: Decimal
    rejected_hours: Decimal
    cancelled_hours: Decimal
    no_show_hours: Decimal
    used_hours: Decimal
    utilisation_percent: Decimal


class UsageRow(UsageFigures):
    name: str


class TimelineBar(View):
    """One occurrence on the timeline, in the facility's local time."""

    booking: str
    project: str
    nation: str
    starts_at: datetime
    ends_at: datetime
    outcome: str


class UtilisationReport(View):
    facility: str
    facility_id: uuid.UUID
    time_zone: str
    capacity: int
    first_day: date
    last_day: date
    as_of: datetime
    open_hours: Decimal
    totals: UsageFigures
    projects: list[UsageRow]
    nations: list[UsageRow]
    bars: list[TimelineBar]


# --- calendar feeds ---------------------------------------------------------------------------


class FeedIn(Command):
    """A calendar to subscribe to: a facility (code), a project (code) or a person (id)."""

    kind: FeedKind
    target: str = Field(min_length=1, max_length=80, examples=["HOSL-BAR", "CSAR-MAS"])
    name: str = Field(min_length=1, max_length=120, examples=["Outlook on my laptop"])


class FeedOut(View):
    id: uuid.UUID
    kind: FeedKind
    target: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewFeed(FeedOut):
    #: Shown once: the path to give the calendar program, after the node's address.
    path: str
