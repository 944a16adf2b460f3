"""Medical profile, vaccinations, measurements, PDF summary, agenda, reminders and reimbursements
(CONTRACT §6)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, QueryParam, Reply, paging, path_ins, route

bp = Blueprint(__name__)
TAG = "Profile, agenda and reimbursements"
M = "chalicelib.models.care:"
READERS = ("patient", "professional", "app")


def _c() -> Any:
    from chalicelib.bootstrap import container

    return container()


@route(bp, "/patients/{ins}/profile", "GET", tag=TAG, roles=READERS, response=M + "ProfileView",
       errors=(403, 404, 422), summary="The medical profile (patient, legal representative, authorised professionals).")
def get_profile(call: Call, ins: str) -> Any:
    return _c().care.profile(call.actor, path_ins(ins))


@route(bp, "/patients/{ins}/profile", "PUT", tag=TAG, roles=("patient", "app"), body=M + "Profile",
       response=M + "ProfileView", errors=(400, 403, 404, 422),
       summary="Write the medical profile (the patient or a legal representative).")
def put_profile(call: Call, ins: str) -> Any:
    return _c().care.put_profile(call.actor, path_ins(ins), call.body)


@route(bp, "/patients/{ins}/vaccinations", "POST", tag=TAG, roles=("patient", "professional", "app"),
       body=M + "VaccinationCreate", response=M + "Vaccination", status=201, errors=(400, 403, 404, 422),
       summary="Record a vaccination (date, dose, lot).")
def add_vaccination(call: Call, ins: str) -> Any:
    return _c().care.add_vaccination(call.actor, path_ins(ins), call.body)


@route(bp, "/patients/{ins}/vaccinations", "GET", tag=TAG, roles=READERS, response=M + "VaccinationPage",
       query=PAGING, errors=(400, 403, 404, 422), summary="Vaccinations, most recent first.")
def list_vaccinations(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return _c().care.vaccinations(call.actor, path_ins(ins), limit, cursor)


@route(bp, "/patients/{ins}/measurements", "POST", tag=TAG, roles=("patient", "professional", "app"),
       body=M + "MeasurementCreate", response=M + "Measurement", status=201, errors=(400, 403, 404, 422),
       summary="Record a measurement (LOINC code, value in the expected unit, within the physiological range).")
def add_measurement(call: Call, ins: str) -> Any:
    return _c().care.add_measurement(call.actor, path_ins(ins), call.body)


@route(bp, "/patients/{ins}/measurements", "GET", tag=TAG, roles=("patient", "app"), response=M + "MeasurementPage",
       query=(QueryParam("code", "Only this LOINC code."), *PAGING), errors=(400, 403, 404, 422),
       summary="Measurements, most recent first (never shown to professionals).")
def list_measurements(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return _c().care.measurements(call.actor, path_ins(ins), limit, cursor, call.query.get("code") or None)


@route(bp, "/patients/{ins}/summary.pdf", "GET", tag=TAG, roles=("patient", "professional"),
       produces="application/pdf", errors=(403, 404, 422),
       summary="A PDF summary: identity, profile, vaccinations, latest measurements (the patient's own copy).")
def summary_pdf(call: Call, ins: str) -> Any:
    ins = path_ins(ins)
    pdf = _c().care.summary_pdf(call.actor, ins)
    return Reply(pdf, 200, {"Content-Type": "application/pdf",
                            "Content-Disposition": 'attachment; filename="synthese-espace-sante.pdf"'})


@route(bp, "/patients/{ins}/appointments", "POST", tag=TAG, roles=("patient", "professional", "establishment", "app"),
       body=M + "AppointmentCreate", response=M + "Appointment", status=201, errors=(400, 403, 404, 422),
       summary="Add an appointment to the agenda.")
def add_appointment(call: Call, ins: str) -> Any:
    return _c().agenda.add_appointment(call.actor, path_ins(ins), call.body)


@route(bp, "/patients/{ins}/appointments", "GET", tag=TAG, roles=("patient", "app"), response=M + "AppointmentPage",
       query=(QueryParam("from", "Only appointments starting at or after this ISO-8601 time."), *PAGING),
       errors=(400, 403, 404, 422), summary="Appointments in chronological order.")
def list_appointments(call: Call, ins: str) -> Any:
    from chalicelib.services.agenda import parse_from

    limit, cursor = paging(call)
    return _c().agenda.appointments(call.actor, path_ins(ins), limit, cursor, parse_from(call.query.get("from")))


@route(bp, "/patients/{ins}/agenda.ics", "GET", tag=TAG, roles=("patient", "app"), produces="text/calendar",
       errors=(403, 404, 422), summary="The agenda as an iCalendar file (appointments and reminders).")
def agenda_ics(call: Call, ins: str) -> Any:
    text = _c().agenda.calendar(call.actor, path_ins(ins))
    return Reply(text, 200, {"Content-Type": "text/calendar; charset=utf-8",
                             "Content-Disposition": 'attachment; filename="agenda-espace-sante.ics"'})


@route(bp, "/patients/{ins}/reminders", "GET", tag=TAG, roles=("patient",), response=M + "ReminderList",
       errors=(403, 404, 422),
       summary="Recommended vaccinations and screenings due for the patient's age and sex (French calendar).")
def reminders(call: Call, ins: str) -> Any:
    return _c().agenda.reminders(call.actor, path_ins(ins))


@route(bp, "/reimbursements", "POST", tag=TAG, roles=("agent",), body=M + "ReimbursementBatch",
       response=M + "ReimbursementResults", errors=(400, 403, 422),
       summary="Load reimbursement lines (back office); each line is reported on its own.")
def load_reimbursements(call: Call) -> Any:
    return {"results": _c().reimbursements.load(call.actor, call.body.items)}


@route(bp, "/patients/{ins}/reimbursements", "GET", tag=TAG, roles=("patient",), response=M + "ReimbursementPage",
       query=PAGING, errors=(400, 403, 404, 422), summary="Reimbursements, most recent first (the patient alone).")
def list_reimbursements(call: Call, ins: str) -> Any:
    limit, cursor = paging(call)
    return _c().reimbursements.list(call.actor, path_ins(ins), limit, cursor)
