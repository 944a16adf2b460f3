"""Body of the local-only development sign-in (the patient portal's sign-in in the local stage); its answer is
``chalicelib.models.answers.common:DevSignIn``."""

from __future__ import annotations

from typing import ClassVar

from chalicelib.models.common import Nir, Strict


class DevSignInRequest(Strict):
    noun: ClassVar[str] = "a sign-in"

    nir: Nir
