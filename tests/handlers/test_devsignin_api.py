"""The portal's development sign-in (CONTRACT §11): a patient token in the local stage, refused in every other."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import person


def test_local_sign_in_gives_a_token_that_opens_the_persons_space(api: Any) -> None:
    row, _ = api.patient()
    reply = api.post("/dev/sign-in", body={"nir": row["nir"]})
    assert reply.status == 200, reply
    me = api.get("/me", reply.json["token"])
    assert me.status == 200, me
    assert me.json["ins"] == row["nir"]


def test_a_token_for_a_space_not_yet_activated_is_refused_by_the_api(api: Any) -> None:
    row = api.enrol()
    token = api.post("/dev/sign-in", body={"nir": row["nir"]}).json["token"]
    assert api.get("/me", token).status == 403


def test_a_bad_nir_is_refused_naming_the_field(api: Any) -> None:
    reply = api.post("/dev/sign-in", body={"nir": "180057512345699"})
    assert reply.status == 422, reply
    assert "nir" in reply.json["message"]


@pytest.mark.parametrize("stage", ["prod", "staging"])
def test_every_other_stage_refuses_the_development_sign_in(api: Any, stage: str) -> None:
    from dataclasses import replace

    from chalicelib import bootstrap

    container = api.container
    other = bootstrap.Container(replace(container.settings, stage=stage, dev_signing_key=None), container.clients,
                                container.clock)
    bootstrap.use(other)
    reply = api.post("/dev/sign-in", body={"nir": person()["nir"]})
    assert reply.status == 404, reply
    assert reply.json["code"] == "not_found"
    assert "token" not in reply.json
