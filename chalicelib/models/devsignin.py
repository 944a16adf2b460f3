"""Body and answer of the local-only development sign-in (the patient portal's sign-in in the local stage)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.models.common import Nir, Out, Strict


class DevSignInRequest(Strict):
    nir: Nir


class DevSignInReply(Out):
    token: str = Field(description="A patient bearer token signed with the local development key.")
    expires_in: int = Field(description="Seconds until the token expires.")
