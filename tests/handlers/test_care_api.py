"""Profile, vaccinations, measurements, PDF summary, agenda, reminders and reimbursements (CONTRACT §6)."""

import datetime as dt

import pytest
from helpers import make_nir, person

PROFILE = {
    "allergies": ["pénicilline", {"name": "arachide", "severity": "severe", "reaction": "œdème"}],
    "conditions": [{"name": "asthme", "since": "2004-03-01"}],
    "treatments": [{"name": "salbutamol", "dose": "2 bouffées si besoin"}],
    "hospitalisations": [],
    "family_history": [{"name": "diabète de type 2", "relative": "père"}],
    "blood_group": "O+",
    "advance_directives": "Pas d'acharnement thérapeutique.",
    "organ_donation": True,
}


@pytest.fixture
def patient(api):
    row, token = api.patient(born=dt.date(1974, 6, 15), sex=2)
    return row["nir"], token


def test_profile_written_by_the_patient_read_by_authorised_professionals(api, patient):
    ins, token = patient
    reply = api.put(f"/patients/{ins}/profile", token, PROFILE)
    assert reply.status == 200, reply
    profile = api.get(f"/patients/{ins}/profile", token).json
    assert profile["allergies"][0] == {"name": "pénicilline"} and profile["blood_group"] == "O+"
    assert profile["advance_directives"]["summary"].startswith("Pas d'acharnement")
    rpps, pro = api.professional()
    assert api.get(f"/patients/{ins}/profile", pro).status == 403
    api.post(f"/patients/{ins}/care-relationship", pro)
    assert api.get(f"/patients/{ins}/profile", pro).json["conditions"][0]["name"] == "asthme"
    assert api.put(f"/patients/{ins}/profile", pro, PROFILE).status == 403  # the patient writes
    log = api.get(f"/patients/{ins}/access-log", token).json["items"]
    assert any(e["action"] == "read_profile" and e["actor"]["id"] == rpps for e in log)


def test_profile_validation_names_the_field(api, patient):
    ins, token = patient
    for change, field in (({"blood_group": "Z+"}, "blood_group"), ({"allergies": [{"nom": "x"}]}, "allergies"),
                          ({"conditions": [{"name": "x", "since": "2020-01-01", "until": "2019-01-01"}]},
                           "conditions"), ({"hobbies": []}, "hobbies")):
        reply = api.put(f"/patients/{ins}/profile", token, {**PROFILE, **change})
        assert reply.status == 422 and field in reply.json["message"], reply


def test_vaccinations_with_date_dose_and_lot(api, patient):
    ins, token = patient
    rpps, nurse = api.professional("infirmier")
    api.post(f"/patients/{ins}/care-relationship", nurse)
    reply = api.post(f"/patients/{ins}/vaccinations", nurse, {"vaccine": "Grippe saisonnière", "date": "2026-10-20",
                                                              "dose": "1", "lot": "AB1234"})
    assert reply.status == 201 and reply.json["recorded_by"]["id"] == rpps
    api.post(f"/patients/{ins}/vaccinations", token, {"vaccine": "DTP", "date": "2019-06-15", "dose": "rappel"})
    items = api.get(f"/patients/{ins}/vaccinations", nurse).json["items"]
    assert [v["vaccine"] for v in items] == ["Grippe saisonnière", "DTP"]  # most recent first
    future = api.post(f"/patients/{ins}/vaccinations", token, {"vaccine": "DTP", "date": "2099-01-01"})
    assert future.status == 422 and "date" in future.json["message"]


@pytest.mark.parametrize(("body", "field", "why"), [
    ({"code": "29463-7", "value": 72.5, "unit": "lb"}, "unit", "kg"),
    ({"code": "29463-7", "value": 7000, "unit": "kg"}, "value", "range"),
    ({"code": "12345-6", "value": 1, "unit": "kg"}, "code", "not a known"),
    ({"code": "2339-0", "value": "high", "unit": "mg/dL"}, "value", "number"),
    ({"code": "8480-6", "value": 120, "unit": "mmHg", "effective_at": "2099-01-01T00:00:00Z"}, "effective_at",
     "future"),
])
def test_measurements_refuse_wrong_units_unknown_codes_and_impossible_values(api, patient, body, field, why):
    ins, token = patient
    reply = api.post(f"/patients/{ins}/measurements", token, {"effective_at": "2026-11-20T08:00:00Z", **body})
    assert reply.status in (400, 422), reply
    assert field in reply.json["message"] and why in reply.json["message"], reply


def test_measurements_recorded_with_their_source_and_never_shown_to_professionals(api, patient):
    ins, token = patient
    for code, value, unit in (("29463-7", 64.2, "kg"), ("8302-2", 168, "cm"), ("8480-6", 128, "mm[Hg]"),
                              ("8462-4", 82, "mmHg"), ("2339-0", 95, "mg/dL"), ("39156-5", 22.7, "kg/m2")):
        reply = api.post(f"/patients/{ins}/measurements", token,
                         {"code": code, "value": value, "unit": unit, "effective_at": "2026-11-20T08:00:00Z"})
        assert reply.status == 201, reply
        assert reply.json["source"] == {"role": "patient", "id": ins}
    assert len(api.get(f"/patients/{ins}/measurements", token).json["items"]) == 6
    assert [m["value"] for m in api.get(f"/patients/{ins}/measurements?code=29463-7", token).json["items"]] == [64.2]
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    assert api.get(f"/patients/{ins}/measurements", pro).status == 403
    weight = api.post(f"/patients/{ins}/measurements", pro, {"code": "29463-7", "value": 63.9, "unit": "kg",
                                                             "effective_at": "2026-11-21T08:00:00Z"})
    assert weight.status == 201 and weight.json["source"]["role"] == "professional"


def test_summary_pdf_is_a_real_pdf_with_what_the_reader_may_see(api, patient):
    ins, token = patient
    api.put(f"/patients/{ins}/profile", token, PROFILE)
    api.post(f"/patients/{ins}/vaccinations", token, {"vaccine": "DTP", "date": "2019-06-15", "lot": "LOT42"})
    api.post(f"/patients/{ins}/measurements", token, {"code": "29463-7", "value": 64.2, "unit": "kg",
                                                      "effective_at": "2026-11-20T08:00:00Z"})
    reply = api.get(f"/patients/{ins}/summary.pdf", token, headers={"Accept": "application/pdf"})
    assert reply.status == 200 and reply.headers["content-type"] == "application/pdf"
    assert reply.body.startswith(b"%PDF-") and b"%%EOF" in reply.body[-32:]
    _, pro = api.professional()
    assert api.get(f"/patients/{ins}/summary.pdf", pro).status == 403
    api.post(f"/patients/{ins}/care-relationship", pro)
    pro_copy = api.get(f"/patients/{ins}/summary.pdf", pro, headers={"Accept": "application/pdf"})
    assert pro_copy.status == 200 and pro_copy.body.startswith(b"%PDF-")


def test_summary_pdf_content_for_the_patient_and_without_measurements_for_professionals(api, patient):
    """Read back with a PDF text extractor: the patient's copy holds the profile and the measurements; the
    professional's copy has another title and says that measurements are not shared with professionals."""
    import io

    from pypdf import PdfReader

    def text(body: bytes) -> str:
        return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())

    ins, token = patient
    api.put(f"/patients/{ins}/profile", token, PROFILE)
    api.post(f"/patients/{ins}/measurements", token, {"code": "29463-7", "value": 64.2, "unit": "kg",
                                                      "effective_at": "2026-11-20T08:00:00Z"})
    own = text(api.get(f"/patients/{ins}/summary.pdf", token, headers={"Accept": "application/pdf"}).body)
    assert "Synthèse de mon espace santé" in own and "asthme" in own and "64,2" in own
    assert "20/11/2026 09:00" in own  # Paris time
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    copy = text(api.get(f"/patients/{ins}/summary.pdf", pro, headers={"Accept": "application/pdf"}).body)
    assert "Synthèse de l'espace santé" in copy and "mon espace" not in copy and "asthme" in copy
    assert "64,2" not in copy and "ne sont pas partagées avec les professionnels de santé" in copy
    assert "Aucune information renseignée" not in copy.split("Dernières mesures")[1]


def test_appointments_and_the_ics_file(api, patient):
    ins, token = patient
    from icalendar import Calendar

    reply = api.post(f"/patients/{ins}/appointments", token, {"title": "Dentiste", "start": "2026-12-03T09:00:00Z",
                                                              "location": "12 rue des Lilas, Nantes"})
    assert reply.status == 201 and reply.json["end"] == "2026-12-03T09:30:00Z"
    _, pro = api.professional()
    by_pro = api.post(f"/patients/{ins}/appointments", pro, {"title": "Consultation de suivi",
                                                             "start": "2026-12-01T14:00:00Z",
                                                             "end": "2026-12-01T14:20:00Z", "professional": "Dr Roux"})
    assert by_pro.status == 201 and by_pro.json["source"]["role"] == "professional"
    listing = api.get(f"/patients/{ins}/appointments", token).json["items"]
    assert [a["title"] for a in listing] == ["Consultation de suivi", "Dentiste"]  # chronological
    later = api.get(f"/patients/{ins}/appointments?from=2026-12-02T00:00:00Z", token).json["items"]
    assert [a["title"] for a in later] == ["Dentiste"]
    bad = api.post(f"/patients/{ins}/appointments", token, {"title": "x", "start": "2026-12-03T09:00:00Z",
                                                            "end": "2026-12-03T08:00:00Z"})
    assert bad.status == 422 and "end" in bad.json["message"]
    ics = api.get(f"/patients/{ins}/agenda.ics", token)
    assert ics.status == 200 and ics.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(ics.body)
    summaries = [str(e.get("summary")) for e in calendar.walk("VEVENT")]
    assert "Dentiste" in summaries and "Consultation de suivi" in summaries
    # a woman of 52: her screenings fell due in June, at 52; the calendar shows only what is coming
    assert not any(s.startswith("Rappel") for s in summaries)


def test_the_ics_file_hands_no_identifier_to_calendar_software(api):
    """#10.9: a synced calendar ends up in Google's or Microsoft's cloud: readable descriptions, never a NIR or an
    RPPS; an alarm per appointment; Paris times; reminders still to come only (read with vobject)."""
    import vobject

    row, token = api.patient(born=dt.date(1961, 12, 10), sex=1)  # 65 in December: DTP, pneumococcus, shingles
    ins = row["nir"]
    rpps, pro = api.professional()
    api.post(f"/patients/{ins}/appointments", token, {"title": "Dentiste", "start": "2026-12-03T09:00:00Z",
                                                      "note": "carte Vitale"})
    api.post(f"/patients/{ins}/appointments", pro, {"title": "Suivi", "start": "2026-12-01T14:00:00Z"})
    body = api.get(f"/patients/{ins}/agenda.ics", token).body
    assert ins.encode() not in body and rpps.encode() not in body and b"'role'" not in body
    calendar = vobject.readOne(body.decode())
    events = {e.summary.value: e for e in calendar.vevent_list}
    assert events["Dentiste"].description.value == ("Note : carte Vitale\nAjouté à Mon espace santé par le patient "
                                                    "(ou son représentant).")
    assert events["Suivi"].description.value == ("Ajouté à Mon espace santé par un professionnel de santé "
                                                 "(médecin).")
    assert events["Dentiste"].dtstart.value.utcoffset() == dt.timedelta(hours=1)
    assert all(e.valarm.trigger.value == dt.timedelta(days=-1) for e in (events["Dentiste"], events["Suivi"]))
    reminders = [e for e in calendar.vevent_list if e.summary.value.startswith("Rappel")]
    assert reminders and all(e.dtstart.value >= api.clock.now().date() for e in reminders)
    assert all(e.description.value for e in reminders)


def test_reminders_follow_the_french_calendar_for_age_and_sex(api):
    woman_row, woman = api.patient(born=dt.date(1974, 6, 15), sex=2)
    man_row, man = api.patient(born=dt.date(2001, 1, 10), sex=1)
    programmes = {r["programme"] for r in api.get(f"/patients/{woman_row['nir']}/reminders", woman).json["items"]}
    assert {"breast-screening", "colorectal-screening"} <= programmes
    man_reminders = api.get(f"/patients/{man_row['nir']}/reminders", man).json
    assert not {"breast-screening", "cervical-screening"} & {r["programme"] for r in man_reminders["items"]}
    assert man_reminders["sources"]


def test_the_reminders_job_sends_each_reminder_once_on_its_due_date(api):
    row = person(born=dt.date(2001, 12, 1), sex=1)  # DTP booster at 25, on 2026-12-01
    api.post("/enrolments", api.agent, {"beneficiaries": [row]})
    api.activate(row)
    assert api.run_job("reminders", dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))["processed"] == 0
    due_day = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    assert api.run_job("reminders", due_day)["processed"] == 1
    assert api.run_job("reminders", due_day + dt.timedelta(hours=2))["processed"] == 0
    notices = api.outbox(row["nir"], "reminder")
    assert len(notices) == 1 and "DTP" not in str(notices)


def test_reminders_due_the_same_day_are_all_sent(api):
    row = person(born=dt.date(1961, 12, 2), sex=2)  # 65 on 2026-12-02: DTP, pneumococcus, shingles...
    api.post("/enrolments", api.agent, {"beneficiaries": [row]})
    api.activate(row)
    sent = api.run_job("reminders", dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC))["processed"]
    assert sent >= 3 and len(api.outbox(row["nir"], "reminder")) == sent


def test_reimbursements_loaded_line_by_line_and_read_by_the_patient_alone(api, patient):
    ins, token = patient
    lines = [{"ins": ins, "date": "2026-10-02", "act": "Consultation généraliste (G)", "amount_paid": 30,
              "amount_reimbursed": 21},
             {"ins": ins, "date": "2026-10-05", "act": "Pharmacie", "amount_paid": 12.5, "amount_reimbursed": 20},
             {"ins": make_nir(), "date": "2026-10-05", "act": "Kiné", "amount_paid": 16, "amount_reimbursed": 9.6},
             {"ins": ins, "date": "2026-10-02", "act": "Consultation généraliste (G)", "amount_paid": 30,
              "amount_reimbursed": 21}, "garbage"]
    reply = api.post("/reimbursements", api.agent, {"items": lines})
    assert reply.status == 200
    statuses = [r["status"] for r in reply.json["results"]]
    assert statuses == ["recorded", "invalid", "invalid", "duplicate", "invalid"]
    assert "amount_reimbursed" in reply.json["results"][1]["reason"]
    mine = api.get(f"/patients/{ins}/reimbursements", token).json["items"]
    assert [(r["act"], r["amount_reimbursed"]) for r in mine] == [("Consultation généraliste (G)", 21)]
    _, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    assert api.get(f"/patients/{ins}/reimbursements", pro).status == 403
    assert api.post("/reimbursements", token, {"items": lines}).status == 403


def test_purge_erases_profile_measurements_agenda_and_reimbursements(api):
    row, token = api.patient()
    ins = row["nir"]
    api.put(f"/patients/{ins}/profile", token, PROFILE)
    api.post(f"/patients/{ins}/measurements", token, {"code": "29463-7", "value": 64.2, "unit": "kg",
                                                      "effective_at": "2026-11-20T08:00:00Z"})
    api.post(f"/patients/{ins}/appointments", token, {"title": "x", "start": "2026-12-03T09:00:00Z"})
    api.post("/me/closure", token, {"delete_requested": True})
    api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=95))
    table = api.container.clients("dynamodb")
    left = table.query(TableName=api.settings.table("records"), KeyConditionExpression="pk = :pk",
                       ExpressionAttributeValues={":pk": {"S": f"PAT#{ins}"}})["Items"]
    assert left == []
