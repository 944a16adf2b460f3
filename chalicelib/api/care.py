"""Medical profile, vaccinations, measurements, PDF summary, agenda, reminders and reimbursements
(CONTRACT §6)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, QueryParam, Reply, paging, query_time, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "Profile, agenda and reimbursements"
M = "chalicelib.models.care:"
A = "chalicelib.models.answers.care:"


@route(bp, "/patients/{ins}/profile", "GET", tag=TAG, action=Action.READ_PROFILE, response=A + "ProfileView",
       errors=(403, 404, 422), summary="The medical profile (patient, legal representative, authorised professionals).")
def get_profile(call: Call, ins: str) -> Any:
    return container().care.profile(call.caller, ins)


@route(bp, "/patients/{ins}/profile", "PUT", tag=TAG, action=Action.WRITE_PROFILE, body=M + "Profile",
       response=A + "ProfileView", errors=(400, 403, 404, 422),
       summary="Write the medical profile (the patient or a legal representative).")
def put_profile(call: Call, ins: str) -> Any:
    return container().care.put_profile(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/vaccinations", "POST", tag=TAG, action=Action.WRITE_VACCINATIONS,
       body=M + "VaccinationCreate", response=A + "Vaccination", status=201, errors=(400, 403, 404, 422),
       summary="Record a vaccination (date, dose, lot).")
def add_vaccination(call: Call, ins: str) -> Any:
    return container().care.add_vaccination(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/vaccinations", "GET", tag=TAG, action=Action.READ_VACCINATIONS,
       response=A + "VaccinationPage", query=PAGING, errors=(400, 403, 404, 422),
       summary="Vaccinations, most recent first.")
def list_vaccinations(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().care.vaccinations(call.caller, ins, limit, cursor)


@route(bp, "/patients/{ins}/measurements", "POST", tag=TAG, action=Action.WRITE_MEASUREMENTS,
       body=M + "MeasurementCreate", response=A + "Measurement", status=201, errors=(400, 403, 404, 422),
       summary="Record a measurement (LOINC code, value in the expected unit, within the physiological range).")
def add_measurement(call: Call, ins: str) -> Any:
    return container().care.add_measurement(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/measurements", "GET", tag=TAG, action=Action.READ_MEASUREMENTS,
       response=A + "MeasurementPage", query=(QueryParam("code", "Only this LOINC code."), *PAGING),
       errors=(400, 403, 404, 422), summary="Measurements, most recent first (never shown to professionals).")
def list_measurements(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().care.measurements(call.caller, ins, limit, cursor, call.query.get("code") or None)


@route(bp, "/patients/{ins}/summary.pdf", "GET", tag=TAG, action=Action.READ_SUMMARY, produces="application/pdf",
       errors=(403, 404, 422),
       summary="A PDF summary: identity, profile, vaccinations, latest measurements (the patient's own copy).")
def summary_pdf(call: Call, ins: str) -> Any:
    pdf = container().care.summary_pdf(call.caller, ins)
    return Reply(pdf, 200, {"Content-Type": "application/pdf",
                            "Content-Disposition": 'attachment; filename="synthese-espace-sante.pdf"'})


@route(bp, "/patients/{ins}/appointments", "POST", tag=TAG, action=Action.WRITE_AGENDA, body=M + "AppointmentCreate",
       response=A + "Appointment", status=201, errors=(400, 403, 404, 422), summary="Add an appointment to the agenda.")
def add_appointment(call: Call, ins: str) -> Any:
    return container().agenda.add_appointment(call.caller, ins, call.body)


@route(bp, "/patients/{ins}/appointments", "GET", tag=TAG, action=Action.READ_AGENDA, response=A + "AppointmentPage",
       query=(QueryParam("from", "Only appointments starting at or after this ISO-8601 time (with its zone)."),
              *PAGING),
       errors=(400, 403, 404, 422), summary="Appointments in chronological order.")
def list_appointments(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().agenda.appointments(call.caller, ins, limit, cursor, query_time(call, "from"))


@route(bp, "/patients/{ins}/appointments/{appointment_id}", "PATCH", tag=TAG, action=Action.UPDATE_APPOINTMENT,
       body=M + "AppointmentPatch", response=A + "Appointment", errors=(400, 403, 404, 409, 422, 503),
       summary="Change an appointment (the patient any; others the ones they added); its reminder moves with it.")
def update_appointment(call: Call, ins: str, appointment_id: str) -> Any:
    return container().agenda.update_appointment(call.caller, ins, appointment_id, call.body)


@route(bp, "/patients/{ins}/appointments/{appointment_id}", "DELETE", tag=TAG, action=Action.CANCEL_APPOINTMENT,
       status=204, errors=(403, 404, 422, 503),
       summary="Cancel an appointment (the patient any; others the ones they added), and its reminder.")
def cancel_appointment(call: Call, ins: str, appointment_id: str) -> Any:
    container().agenda.cancel_appointment(call.caller, ins, appointment_id)
    return Reply(None, 204)


@route(bp, "/patients/{ins}/agenda.ics", "GET", tag=TAG, action=Action.READ_AGENDA, produces="text/calendar",
       errors=(403, 404, 422), summary="The agenda as an iCalendar file (appointments and reminders).")
def agenda_ics(call: Call, ins: str) -> Any:
    text = container().agenda.calendar(call.caller, ins).decode()  # text/calendar: a text answer, not binary
    return Reply(text, 200, {"Content-Type": "text/calendar; charset=utf-8",
                             "Content-Disposition": 'attachment; filename="agenda-espace-sante.ics"'})


@route(bp, "/patients/{ins}/reminders", "GET", tag=TAG, action=Action.READ_REMINDERS, response=A + "ReminderList",
       errors=(403, 404, 422),
       summary="Recommended vaccinations and screenings due for the patient's age and sex (French calendar).")
def reminders(call: Call, ins: str) -> Any:
    return container().agenda.reminders(call.caller, ins)


@route(bp, "/patients/{ins}/reminders/{reminder_id}", "PUT", tag=TAG, action=Action.SET_REMINDER_STATUS,
       body=M + "ReminderStatusUpdate", response=A + "Reminder", errors=(400, 403, 404, 422),
       summary="Say where a recommendation stands: planned, done, not done, or postponed until a day.")
def set_reminder_status(call: Call, ins: str, reminder_id: str) -> Any:
    return container().agenda.set_reminder_status(call.caller, ins, reminder_id, call.body)


@route(bp, "/reimbursements", "POST", tag=TAG, action=Action.LOAD_REIMBURSEMENTS, body=M + "ReimbursementBatch",
       response=A + "ReimbursementResults", errors=(400, 403, 422),
       summary="Load reimbursement lines (back office); each line is reported on its own.")
def load_reimbursements(call: Call) -> Any:
    return {"results": container().reimbursements.load(call.caller, call.body)}


@route(bp, "/patients/{ins}/reimbursements", "GET", tag=TAG, action=Action.READ_REIMBURSEMENTS,
       response=A + "ReimbursementPage", query=PAGING, errors=(400, 403, 404, 422),
       summary="Reimbursements, most recent first (the patient alone).")
def list_reimbursements(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return container().reimbursements.listing(call.caller, ins, limit, cursor)
