"""Notices through the real AWS services: email via SES, SMS via SNS, postal letters queued on SQS.

Locally the same calls reach the emulator, and :class:`RecordingNotifier` keeps a copy of each notice for
`ens outbox` (local stage only). Nothing here logs a notice's data.
"""

from __future__ import annotations

import json
import secrets
import time
from email.utils import formataddr
from typing import Any

from chalicelib.adapters.dynamo import Table
from chalicelib.domain.accounts import Contact
from chalicelib.domain.notices import Notice, channel_for
from chalicelib.domain.timeutil import iso, iso_ms
from chalicelib.ports import Clock
from chalicelib.resources import SENDER_ADDRESS

SENDER = formataddr(("Mon Espace Santé", SENDER_ADDRESS), charset="utf-8")  # RFC 2047: SES wants ASCII headers


class NoChannel(Exception):
    """The person has no email, phone or postal address."""


class AwsNotifier:
    def __init__(self, clients: Any, postal_queue_name: str) -> None:
        self.clients = clients
        self.postal_queue_name = postal_queue_name
        self._postal_queue_url: str | None = None

    def send(self, notice: Notice, contact: Contact) -> str:
        channel = channel_for(contact)
        subject, text = notice.render()
        if channel == "email":
            self.clients("ses").send_email(
                Source=SENDER,
                Destination={"ToAddresses": [contact.email]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                         "Body": {"Text": {"Data": text, "Charset": "UTF-8"}}},
                Tags=[{"Name": "kind", "Value": notice.kind}],
            )
        elif channel == "sms":
            self.clients("sns").publish(
                PhoneNumber=contact.phone,
                Message=f"{subject}\n{text}",
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
            )
        elif channel == "postal":
            sqs = self.clients("sqs")
            if self._postal_queue_url is None:
                self._postal_queue_url = sqs.get_queue_url(QueueName=self.postal_queue_name)["QueueUrl"]
            sqs.send_message(QueueUrl=self._postal_queue_url, MessageBody=json.dumps(
                {"kind": notice.kind, "address": contact.postal_address, "subject": subject, "text": text}))
        else:
            raise NoChannel(notice.kind)
        return str(channel)


class RecordingNotifier:
    """Local stage: send for real (to the emulator), then keep a copy for `ens outbox`."""

    PARTITION = "OUTBOX"

    def __init__(self, inner: AwsNotifier, client: Any, table_name: str, clock: Clock) -> None:
        self.inner = inner
        self.table = Table(client, table_name)
        self.clock = clock

    def send(self, notice: Notice, contact: Contact) -> str:
        channel = self.inner.send(notice, contact)
        now = self.clock.now()
        self.table.put({
            "pk": self.PARTITION,
            # the stack's clock may stand still (a job's `now`): real time keeps the order of sending
            "sk": f"{iso_ms(now)}#{time.time_ns():020d}#{secrets.token_hex(2)}",
            "kind": notice.kind, "to": notice.to, "channel": channel, "at": iso(now), "data": dict(notice.data),
        })
        return channel

    def read(self, to: str | None = None) -> list[dict[str, Any]]:
        """Oldest first; one partition (local development only)."""
        rows = self.table.query_all(self.PARTITION, consistent=True)
        return [{k: r[k] for k in ("kind", "to", "channel", "at", "data")} for r in rows
                if to is None or r["to"] == to]
