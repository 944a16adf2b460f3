"""The output formats behind the services' renderer ports: the PDF summary (``summary_pdf``, fpdf2) and the
iCalendar export (``calendar_ics``, icalendar). These classes only hand the domain's values to the renderers, in the
plain shapes they take; what the files say is the renderers' business."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import calendar_ics, summary_pdf
from chalicelib.domain.agenda import AgendaExport, Appointment, Reminder
from chalicelib.domain.care import Measurement, Summary, Vaccination
from chalicelib.domain.timeutil import iso


def _vaccination(v: Vaccination) -> dict[str, Any]:
    return {"vaccination_id": v.vaccination_id, "vaccine": v.vaccine, "date": v.date.isoformat(), "dose": v.dose,
            "lot": v.lot, "recorded_by": v.recorded_by.as_dict(), "recorded_at": iso(v.recorded_at)}


def _measurement(m: Measurement) -> dict[str, Any]:
    return {"measurement_id": m.measurement_id, "code": m.code, "label": m.label, "value": m.value, "unit": m.unit,
            "effective_at": iso(m.effective_at), "source": m.source.as_dict(), "recorded_at": iso(m.recorded_at)}


def _appointment(a: Appointment) -> dict[str, Any]:
    return {"appointment_id": a.appointment_id, "title": a.title, "start": iso(a.start), "end": iso(a.end),
            "location": a.location, "professional": a.professional, "note": a.note, "source": a.source.as_dict(),
            "created_at": iso(a.created_at)}


def _reminder(r: Reminder) -> dict[str, Any]:
    return {"reminder_id": r.reminder_id, "programme": r.programme, "kind": r.kind, "label": r.label,
            "due_on": r.due_on.isoformat(), "status": r.status, "notified": r.notified, "source": r.source}


class PdfSummaries:
    """``services.care.SummaryRenderer``."""

    def render(self, summary: Summary) -> bytes:
        return summary_pdf.render_summary(summary_pdf.PatientSummary(
            ins=summary.ins, given_name=summary.given_name, family_name=summary.family_name,
            birth_date=summary.birth_date, sex=summary.sex, generated_at=summary.generated_at,
            profile=summary.profile.content(), vaccinations=[_vaccination(v) for v in summary.vaccinations],
            measurements=[_measurement(m) for m in summary.measurements],
            professional_copy=summary.professional_copy))


class IcsCalendars:
    """``services.agenda.CalendarRenderer``."""

    def render(self, agenda: AgendaExport) -> bytes:
        return calendar_ics.render_agenda("", [_appointment(a) for a in agenda.appointments],
                                          [_reminder(r) for r in agenda.reminders], agenda.generated_at)
