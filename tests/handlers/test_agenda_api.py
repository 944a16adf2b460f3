"""The agenda's second half (CONTRACT §10): appointments changed and cancelled, their reminder at `reminder_at` sent
once by the `reminders` job, prevention statuses, and what is overdue when a space opens."""

import datetime as dt

import pytest

UTC = dt.UTC


@pytest.fixture
def patient(api):
    row, token = api.patient(born=dt.date(1988, 3, 9), sex=1)
    return row["nir"], token


def add(api, ins, token, **body):
    reply = api.post(f"/patients/{ins}/appointments", token, {"title": "Cardiologue", "start": "2027-01-12T09:00:00Z",
                                                              **body})
    assert reply.status == 201, reply
    return reply.json


def reminders_sent(api, ins):
    return api.outbox(ins, "appointment_reminder")


def test_the_patient_changes_and_cancels_an_appointment(api, patient):
    ins, token = patient
    first = add(api, ins, token, title="Dentiste", start="2027-01-20T10:00:00Z", end="2027-01-20T10:45:00Z")
    second = add(api, ins, token, start="2027-01-12T09:00:00Z")
    moved = api.patch(f"/patients/{ins}/appointments/{first['appointment_id']}", token,
                      {"start": "2027-01-05T08:30:00Z", "location": "Nantes"})
    assert moved.status == 200, moved
    assert moved.json["end"] == "2027-01-05T09:15:00Z" and moved.json["location"] == "Nantes"  # length kept
    assert moved.json["title"] == "Dentiste" and moved.json["updated_at"]
    listing = api.get(f"/patients/{ins}/appointments", token).json["items"]
    assert [a["appointment_id"] for a in listing] == [first["appointment_id"], second["appointment_id"]]
    assert api.delete(f"/patients/{ins}/appointments/{second['appointment_id']}", token).status == 204
    assert [a["appointment_id"] for a in api.get(f"/patients/{ins}/appointments", token).json["items"]] == [
        first["appointment_id"]]
    assert api.delete(f"/patients/{ins}/appointments/{second['appointment_id']}", token).status == 404
    assert api.patch(f"/patients/{ins}/appointments/{second['appointment_id']}", token, {"title": "x"}).status == 404
    bad = api.patch(f"/patients/{ins}/appointments/{first['appointment_id']}", token, {"end": "2027-01-05T08:00:00Z"})
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "end"
    empty = api.patch(f"/patients/{ins}/appointments/{first['appointment_id']}", token, {})
    assert empty.status == 422
    assert api.patch(f"/patients/{ins}/appointments/{first['appointment_id']}", token, {"title": None}).status == 422


def test_others_change_only_the_appointments_they_added(api, patient):
    ins, token = patient
    _, doctor = api.professional()
    _, other = api.professional()
    by_doctor = add(api, ins, doctor, title="Suivi")
    by_patient = add(api, ins, token, title="Kiné")
    assert api.patch(f"/patients/{ins}/appointments/{by_doctor['appointment_id']}", doctor,
                     {"start": "2027-01-13T09:00:00Z"}).status == 200
    for caller, appointment in ((other, by_doctor), (doctor, by_patient)):  # they cannot see the agenda: absent
        assert api.patch(f"/patients/{ins}/appointments/{appointment['appointment_id']}", caller,
                         {"title": "x"}).status == 404
        assert api.delete(f"/patients/{ins}/appointments/{appointment['appointment_id']}", caller).status == 404
    # the patient changes any of them
    assert api.patch(f"/patients/{ins}/appointments/{by_doctor['appointment_id']}", token,
                     {"note": "apporter l'ordonnance"}).status == 200
    api.put(f"/patients/{ins}/professionals/{by_doctor['source']['id']}", token, {"status": "blocked"})
    assert api.delete(f"/patients/{ins}/appointments/{by_doctor['appointment_id']}", doctor).status == 403  # blocked
    assert api.delete(f"/patients/{ins}/appointments/{by_doctor['appointment_id']}", token).status == 204


def test_an_app_changes_its_own_appointments_and_is_told_why_not_the_patient_s(api, patient):
    ins, token = patient
    api.post("/catalogue", api.agent, {"app_id": "rdv", "name": "Prise de RDV", "category": "telesante",
                                       "data_access": [{"category": "agenda", "access": "read"},
                                                       {"category": "agenda", "access": "write"}]})
    api.put(f"/patients/{ins}/app-consents/rdv", token, {"grants": [{"category": "agenda", "access": "read"},
                                                                    {"category": "agenda", "access": "write"}]})
    app = api.token("app", app_id="rdv", ins=ins)
    own = add(api, ins, app, title="Téléconsultation")
    mine = add(api, ins, token, title="Ophtalmologue")
    assert api.patch(f"/patients/{ins}/appointments/{own['appointment_id']}", app, {"title": "Visio"}).status == 200
    refused = api.patch(f"/patients/{ins}/appointments/{mine['appointment_id']}", app, {"title": "x"})
    assert refused.status == 403 and refused.json["code"] == "not_source"
    api.delete(f"/patients/{ins}/app-consents/rdv", token)
    assert api.delete(f"/patients/{ins}/appointments/{own['appointment_id']}", app).status == 403  # consent gone


def test_the_reminder_goes_once_at_reminder_at_without_the_appointment_s_title(api, patient):
    ins, token = patient
    appointment = add(api, ins, token, title="Oncologie", start="2027-01-12T09:00:00Z",
                      reminder_at="2027-01-11T09:00:00Z")
    assert appointment["reminder_at"] == "2027-01-11T09:00:00Z"
    assert api.run_job("reminders", dt.datetime(2027, 1, 11, 8, 59, tzinfo=UTC))["processed"] == 0
    report = api.run_job("reminders", dt.datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    assert report["appointment_reminders"] == 1
    assert api.run_job("reminders", dt.datetime(2027, 1, 11, 12, 0, tzinfo=UTC)).get("appointment_reminders", 0) == 0
    [notice] = reminders_sent(api, ins)
    assert notice["data"]["appointment_id"] == appointment["appointment_id"]
    assert notice["data"]["when"] == "12 janvier 2027 à 10:00"  # Paris time
    assert "Oncologie" not in str(notice)


def test_a_moved_appointment_moves_its_reminder_and_a_cancelled_one_cancels_it(api, patient):
    ins, token = patient
    moved = add(api, ins, token, start="2027-01-12T09:00:00Z", reminder_at="2027-01-11T09:00:00Z")
    cancelled = add(api, ins, token, start="2027-01-12T15:00:00Z", reminder_at="2027-01-11T15:00:00Z")
    changed = api.patch(f"/patients/{ins}/appointments/{moved['appointment_id']}", token,
                        {"start": "2027-02-12T09:00:00Z"})
    assert changed.json["reminder_at"] == "2027-02-11T09:00:00Z"  # the same day before
    assert api.delete(f"/patients/{ins}/appointments/{cancelled['appointment_id']}", token).status == 204
    assert api.run_job("reminders", dt.datetime(2027, 1, 20, tzinfo=UTC)).get("appointment_reminders", 0) == 0
    assert api.run_job("reminders", dt.datetime(2027, 2, 11, 9, tzinfo=UTC))["appointment_reminders"] == 1
    assert [n["data"]["appointment_id"] for n in reminders_sent(api, ins)] == [moved["appointment_id"]]
    # a reminder removed, then given again
    again = add(api, ins, token, start="2027-03-01T09:00:00Z", reminder_at="2027-02-28T09:00:00Z")
    path = f"/patients/{ins}/appointments/{again['appointment_id']}"
    assert "reminder_at" not in api.patch(path, token, {"reminder_at": None}).json
    assert api.run_job("reminders", dt.datetime(2027, 2, 28, 10, tzinfo=UTC)).get("appointment_reminders", 0) == 0
    assert api.patch(path, token, {"reminder_at": "2027-02-28T12:00:00Z"}).status == 200
    assert api.run_job("reminders", dt.datetime(2027, 2, 28, 12, tzinfo=UTC))["appointment_reminders"] == 1


def test_a_reminder_must_come_before_the_appointment_and_in_the_future(api, patient):
    ins, token = patient
    for reminder_at in ("2027-01-12T10:00:00Z", "2026-01-01T09:00:00Z"):
        reply = api.post(f"/patients/{ins}/appointments", token, {"title": "x", "start": "2027-01-12T09:00:00Z",
                                                                  "reminder_at": reminder_at})
        assert reply.status == 422 and reply.json["errors"][0]["field"] == "reminder_at", reply


def test_an_appointment_reminder_follows_the_appointment_switch(api, patient):
    ins, token = patient
    add(api, ins, token, start="2027-01-12T09:00:00Z", reminder_at="2027-01-11T09:00:00Z")
    api.put("/me/notification-preferences", token, {"appointment": False})
    api.run_job("reminders", dt.datetime(2027, 1, 11, 9, tzinfo=UTC))
    assert reminders_sent(api, ins) == []


# -- prevention ------------------------------------------------------------------------------------------------------
def test_a_recommendation_marked_done_is_not_reminded_and_its_next_occurrence_is(api):
    row, token = api.patient(born=dt.date(2001, 12, 1), sex=1)  # DTP booster at 25, on 2026-12-01
    ins = row["nir"]
    [dtp] = [r for r in api.get(f"/patients/{ins}/reminders", token).json["items"] if r["programme"] == "dtp-adult"]
    assert dtp["status"] == "planned" and dtp["timing"] == "upcoming"
    done = api.put(f"/patients/{ins}/reminders/{dtp['reminder_id']}", token, {"status": "done"})
    assert done.status == 200 and done.json["status"] == "done", done
    assert api.run_job("reminders", dt.datetime(2026, 12, 1, 8, tzinfo=UTC))["processed"] == 0
    assert api.outbox(ins, "reminder") == []
    listed = {r["reminder_id"]: r for r in api.get(f"/patients/{ins}/reminders", token).json["items"]}
    assert listed[dtp["reminder_id"]]["status"] == "done"


def test_a_postponed_recommendation_is_reminded_on_its_new_day_once(api):
    row, token = api.patient(born=dt.date(2001, 12, 1), sex=1)
    ins = row["nir"]
    reminder_id = "dtp-adult:2026-12-01"
    reply = api.put(f"/patients/{ins}/reminders/{reminder_id}", token,
                    {"status": "postponed", "postponed_until": "2027-02-01"})
    assert reply.status == 200 and reply.json["postponed_until"] == "2027-02-01"
    assert api.run_job("reminders", dt.datetime(2026, 12, 1, 8, tzinfo=UTC))["processed"] == 0
    assert api.run_job("reminders", dt.datetime(2027, 2, 1, 8, tzinfo=UTC))["processed"] == 1
    assert api.run_job("reminders", dt.datetime(2027, 2, 2, 8, tzinfo=UTC))["processed"] == 0
    assert [n["data"]["due_on"] for n in api.outbox(ins, "reminder")] == ["2027-02-01"]


def test_statuses_are_checked(api):
    row, token = api.patient(born=dt.date(2001, 12, 1), sex=1)
    ins = row["nir"]
    path = f"/patients/{ins}/reminders/dtp-adult:2026-12-01"
    assert api.put(path, token, {"status": "postponed"}).json["errors"][0]["field"] == "postponed_until"
    assert api.put(path, token, {"status": "done", "postponed_until": "2027-01-01"}).status == 422
    assert api.put(path, token, {"status": "postponed", "postponed_until": "2026-01-01"}).status == 422
    assert api.put(path, token, {"status": "finished"}).status == 422
    for unknown in ("dtp-adult:2026-12-02", "breast-screening:2026-12-01", "nothing"):  # not one of his
        assert api.put(f"/patients/{ins}/reminders/{unknown}", token, {"status": "done"}).status == 404
    _, pro = api.professional()
    assert api.put(path, pro, {"status": "done"}).status == 403


def test_what_is_overdue_when_a_space_opens_is_reminded_once(api):
    """A woman of 56 activating today has her breast screening overdue (due at 56, in June): reminded once."""
    row, token = api.patient(born=dt.date(1970, 6, 1), sex=2)
    ins = row["nir"]
    first = api.run_job("reminders", api.clock.now())
    due_on = sorted(n["data"]["due_on"] for n in api.outbox(ins, "reminder"))
    assert first["processed"] == 2 and due_on == ["2026-06-01", "2026-06-01"]  # breast and colorectal screening
    assert api.run_job("reminders", api.clock.now() + dt.timedelta(days=1))["processed"] == 0
    listed = {r["programme"]: r for r in api.get(f"/patients/{ins}/reminders", token).json["items"]}
    assert listed["breast-screening"]["notified"] is True and listed["breast-screening"]["timing"] == "due"


def test_an_overdue_recommendation_already_done_is_not_reminded(api):
    row = api.enrol(born=dt.date(1970, 6, 1), sex=2)
    ins = row["nir"]
    api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(days=43))  # the space opens: alarms are set
    token = api.activate(row)
    api.put(f"/patients/{ins}/reminders/breast-screening:2026-06-01", token, {"status": "done"})
    api.run_job("reminders", api.clock.now() + dt.timedelta(days=44))
    assert [n["data"]["due_on"] for n in api.outbox(ins, "reminder")] == ["2026-06-01"]  # colorectal only
