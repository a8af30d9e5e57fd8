"""Meeting invitations as iCalendar (RFC 5545 / iTIP RFC 5546): one VEVENT whose UID stays
with the meeting and whose SEQUENCE grows with every change, so calendar programs update
the entry they already hold instead of adding another; a cancelled meeting is sent with
METHOD:CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from coalition.governance.models import BodyMember, Meeting, MeetingStatus, OversightBody


def invitation_ics(
    meeting: Meeting, body: OversightBody, members: list[BodyMember], stamp: datetime | None = None
) -> bytes:
    cancelled = meeting.status is MeetingStatus.CANCELLED
    cal = Calendar()
    cal.add("prodid", "-//Coalition//governance meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@coalition")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp or datetime.now(UTC))
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", f"{body.code}: {meeting.title}")
    if meeting.location:
        event.add("location", meeting.location)
    agenda = "\n".join(f"{n}. {item}" for n, item in enumerate(meeting.agenda, start=1))
    event.add("description", f"Agenda:\n{agenda}" if agenda else meeting.title)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    chair = next((m for m in members if m.chair), None)
    if chair is not None:
        organizer = vCalAddress(f"mailto:{chair.person.email}")
        organizer.params["cn"] = vText(chair.person.full_name)
        event["organizer"] = organizer
    for member in members:
        attendee = vCalAddress(f"mailto:{member.person.email}")
        attendee.params["cn"] = vText(member.person.full_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT" if member.voting else "OPT-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())
