"""The archive purge erases everything of a person, capability by capability (``Container.erasers``): after it,
nothing of theirs is left in any table or bucket. A capability that stores something and forgets to register its
eraser fails here (the test scans every table, which only a test may do)."""

import datetime as dt
import json

PDF = b"%PDF-1.4\n% purge\n"


def everything_of(api, ins):
    """Every item of every table, and every object version of every bucket, that names this person."""
    from chalicelib import resources

    dynamodb, s3 = api.container.clients("dynamodb"), api.container.clients("s3")
    found = []
    for table in resources.TABLES:
        if table.local_only:
            continue  # the development outbox: a copy of notices sent, local stage only
        name = api.settings.table(table.logical)
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            found += [f"{table.logical}: {item['pk']['S']} {item.get('sk', {}).get('S')}"
                      for item in page["Items"] if ins in json.dumps(item)]
    for bucket in resources.BUCKETS:
        versions = s3.list_object_versions(Bucket=api.settings.bucket(bucket.logical))
        found += [f"{bucket.logical}: {v['Key']}" for v in versions.get("Versions", []) + versions.get(
            "DeleteMarkers", []) if ins in v["Key"]]
    return found


def test_the_purge_leaves_nothing_of_the_person_anywhere(api):
    row, token = api.patient()
    ins = row["nir"]
    rpps, pro = api.professional()
    assert api.post(f"/patients/{ins}/care-relationship", pro).status == 201
    document = api.upload(ins, pro, PDF)
    api.upload(ins, token, PDF)
    api.drop("750000002", "r.pdf", PDF, {"ins": ins, "type-code": "11502-2"})
    assert api.put(f"/patients/{ins}/profile", token, {"allergies": ["pollen"]}).status == 200
    assert api.post(f"/patients/{ins}/vaccinations", token, {"vaccine": "DTP", "date": "2020-01-01"}).status == 201
    assert api.post(f"/patients/{ins}/measurements", token, {"code": "29463-7", "value": 70, "unit": "kg",
                                                             "effective_at": "2026-11-20T08:00:00Z"}).status == 201
    assert api.post(f"/patients/{ins}/appointments", token, {"title": "Dentiste",
                                                             "start": "2026-12-03T09:00:00Z"}).status == 201
    assert api.post("/reimbursements", api.agent, {"items": [{"ins": ins, "date": "2026-10-01", "act": "G",
                                                              "amount_paid": 26.5,
                                                              "amount_reimbursed": 18.55}]}).status == 200
    assert api.put(f"/patients/{ins}/emergency-settings", token, {"samu": False}).status == 200
    assert api.put(f"/patients/{ins}/attending-doctor", token, {"rpps": rpps}).status == 200
    assert api.post("/catalogue", api.agent, {"app_id": "purge-app", "name": "App", "category": "prevention",
                                              "data_access": [{"category": "agenda", "access": "read"}]}).status == 201
    assert api.put(f"/patients/{ins}/app-consents/purge-app", token,
                   {"grants": [{"category": "agenda", "access": "read"}]}).status == 200
    conversation = api.post("/conversations", pro, {"patient_ins": ins, "subject": "Suivi", "body": "Bonjour",
                                                    "attachments": [document]})
    assert conversation.status == 201
    api.run_job("reminders", api.clock.now() + dt.timedelta(days=400))
    assert everything_of(api, ins)  # the space is full
    assert api.post("/me/closure", token, {"delete_requested": True}).status == 200
    report = api.run_job("archive-purge", api.clock.now() + dt.timedelta(days=95))
    assert report["processed"] == 1
    assert everything_of(api, ins) == []
