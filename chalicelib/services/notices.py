"""Sending a notice to the person a space belongs to (one place for the contact rules)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.accounts import Account, Contact
from chalicelib.domain.notices import Notice
from chalicelib.ports import AccountRepository, Notifier


class Messenger:
    def __init__(self, accounts: AccountRepository, notifier: Notifier) -> None:
        self.accounts = accounts
        self.notifier = notifier

    def contact_for(self, account: Account) -> Contact:
        """A child's notices reach their legal representative when the child has no contact of their own."""
        if account.contact.is_empty() and account.legal_representative_nir:
            representative = self.accounts.get(account.legal_representative_nir)
            if representative:
                return representative.contact
        return account.contact

    def tell(self, who: Account | str, kind: str, data: dict[str, Any] | None = None) -> str | None:
        """Send ``kind`` to the person (an Account, or a NIR to look up); None if nobody can be reached."""
        account = self.accounts.get(who) if isinstance(who, str) else who
        if account is None:
            return None
        contact = self.contact_for(account)
        if contact.is_empty():
            return None
        return self.notifier.send(Notice(kind=kind, to=account.nir, data={k: str(v) for k, v in (data or {}).items()}),
                                  contact)
