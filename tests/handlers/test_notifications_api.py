"""Notification preferences and the notification centre (CONTRACT §10), through the routes and moto."""

import datetime as dt

from helpers import make_finess

PDF = b"%PDF-1.4\n% notice\n"


def kinds(api, ins):
    return [n["kind"] for n in api.outbox(ins)]


def test_preferences_default_to_everything_and_a_put_changes_only_what_it_names(api):
    row, token = api.patient()
    prefs = api.get("/me/notification-preferences", token)
    assert prefs.status == 200, prefs
    assert {k: prefs.json[k] for k in ("message", "document", "appointment", "synchronised_service",
                                       "prevention")} == dict.fromkeys(("message", "document", "appointment",
                                                                        "synchronised_service", "prevention"), True)
    assert {"enrolment_notice", "activation_code", "space_created", "emergency_access",
            "carer_invitation"} <= set(prefs.json["required"])
    changed = api.put("/me/notification-preferences", token, {"document": False, "prevention": False})
    assert changed.status == 200 and changed.json["document"] is False and changed.json["message"] is True
    again = api.get("/me/notification-preferences", token).json
    assert again["document"] is False and again["prevention"] is False and again["appointment"] is True
    bad = api.put("/me/notification-preferences", token, {"document": "plutôt non", "sms": True})
    assert bad.status == 422 and {e["field"] for e in bad.json["errors"]} == {"document", "sms"}, bad


def test_a_kind_switched_off_is_not_sent_and_the_law_s_notices_always_go(api):
    row, token = api.patient()
    ins = row["nir"]
    api.put("/me/notification-preferences", token, dict.fromkeys(
        ("message", "document", "appointment", "synchronised_service", "prevention"), False))
    rpps, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    api.upload(ins, pro, PDF)
    assert api.post("/conversations", pro, {"patient_ins": ins, "subject": "Suivi", "body": "Bonjour"}).status == 201
    assert "document_added" not in kinds(api, ins) and "new_message" not in kinds(api, ins)
    _, samu = api.professional(samu=True)
    assert api.post(f"/patients/{ins}/emergency-access", samu, {"reason": "Inconscient aux urgences"}).status == 201
    assert "emergency_access" in kinds(api, ins)  # L1111-17: always
    api.put("/me/notification-preferences", token, {"document": True})
    api.upload(ins, pro, PDF)
    assert kinds(api, ins).count("document_added") == 1


def test_a_document_from_a_synchronised_service_follows_that_switch(api):
    row, token = api.patient()
    ins = row["nir"]
    api.post("/catalogue", api.agent, {"app_id": "carnet", "name": "Carnet", "category": "prevention",
                                       "data_access": [{"category": "documents", "access": "write"}]})
    assert api.put(f"/patients/{ins}/app-consents/carnet", token,
                   {"grants": [{"category": "documents", "access": "write"}]}).status == 200
    app = api.token("app", app_id="carnet", ins=ins)
    api.put("/me/notification-preferences", token, {"synchronised_service": False})
    api.upload(ins, app, PDF)
    assert "document_added" not in kinds(api, ins)
    api.put("/me/notification-preferences", token, {"synchronised_service": True, "document": False})
    api.upload(ins, app, PDF)
    assert kinds(api, ins).count("document_added") == 1  # the app's doing: its switch, not the documents'


def test_the_centre_lists_what_was_sent_without_the_code_newest_first(api):
    row, token = api.patient()
    ins = row["nir"]
    rpps, pro = api.professional()
    api.post(f"/patients/{ins}/care-relationship", pro)
    api.clock.advance(seconds=1)
    api.upload(ins, pro, PDF)
    listing = api.get("/me/notifications", token)
    assert listing.status == 200, listing
    items = listing.json["items"]
    assert [i["kind"] for i in items] == ["document_added", "enrolment_notice"]
    assert all(i["ins"] == ins and i["read"] is False and i["subject"] and i["channel"] == "email" for i in items)
    assert "code" not in items[1]["data"] and "opt_out_deadline" in items[1]["data"]
    assert api.latest_code(ins) not in listing.body.decode()  # the code is never kept
    read = api.post(f"/me/notifications/{items[0]['notification_id']}/read", token)
    assert read.status == 200 and read.json["read"] is True
    assert [i["read"] for i in api.get("/me/notifications", token).json["items"]] == [True, False]


def test_a_parent_sees_the_child_s_notices_and_reads_them_alone(api):
    parent_row, parent = api.patient()
    api.clock.advance(seconds=1)
    child_row = api.enrol(born=dt.date(2016, 4, 2), legal_representative_nir=parent_row["nir"], email=None)
    child = child_row["nir"]
    api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(days=43))
    items = api.get("/me/notifications", parent).json["items"]
    assert [(i["ins"], i["kind"]) for i in items][:2] == [(child, "space_created"), (child, "enrolment_notice")]
    assert (parent_row["nir"], "enrolment_notice") in [(i["ins"], i["kind"]) for i in items]
    stranger_row, stranger = api.patient()
    first = items[0]["notification_id"]
    assert api.post(f"/me/notifications/{first}/read", stranger).status == 404  # not theirs: absent
    assert all(i["ins"] == stranger_row["nir"] for i in api.get("/me/notifications", stranger).json["items"])
    assert api.post(f"/me/notifications/{first}/read", parent).json["read"] is True


def test_the_centre_pages_across_spaces_with_a_cursor_and_refuses_a_forged_one(api):
    parent_row, parent = api.patient()
    for year in (2015, 2017):
        api.clock.advance(seconds=1)
        api.enrol(born=dt.date(year, 1, 5), legal_representative_nir=parent_row["nir"], email=None)
    api.run_job("opt-out-expiry", api.clock.now() + dt.timedelta(days=43))
    everything = api.get("/me/notifications?limit=100", parent).json["items"]
    assert len(everything) == 5
    seen, cursor = [], None
    while True:
        page = api.get("/me/notifications?limit=2" + (f"&cursor={cursor}" if cursor else ""), parent).json
        seen += [i["notification_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["notification_id"] for i in everything]
    assert seen == sorted(seen, reverse=True)  # newest first
    assert api.get("/me/notifications?cursor=bm90LWEtY3Vyc29y", parent).status == 400
    other_row, other = api.patient()
    cursor = api.get("/me/notifications?limit=1", parent).json["next_cursor"]
    assert api.get(f"/me/notifications?cursor={cursor}", other).status == 400  # another person's listing


def test_an_establishment_or_professional_has_no_centre(api):
    for token in (api.professional()[1], api.token("establishment", finess=make_finess()), api.agent):
        assert api.get("/me/notifications", token).status == 403
        assert api.get("/me/notification-preferences", token).status == 403
