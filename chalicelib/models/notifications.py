"""Bodies of the notification preferences (CONTRACT §10)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from chalicelib.models.common import Strict


class PreferencesUpdate(Strict):
    noun: ClassVar[str] = "the notification preferences"

    message: bool | None = Field(None, description="New messages from professionals.")
    document: bool | None = Field(None, description="New documents in the record.")
    appointment: bool | None = Field(None, description="Appointment reminders.")
    synchronised_service: bool | None = Field(None, description="What synchronised services (catalogue apps) do "
                                                                "in the space.")
    prevention: bool | None = Field(None, description="Vaccination and screening reminders.")

    def values(self) -> dict[str, bool]:
        """The switches given (those left out keep their value)."""
        return {name: value for name, value in self.model_dump().items() if value is not None}
