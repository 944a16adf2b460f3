"""The composition root: builds services from adapters, once per process, on first use.

Handlers call these accessors; tests replace the whole container with :func:`use`.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from chalicelib import config


class Container:
    """Everything a process needs, built lazily from its settings."""

    def __init__(self, settings: config.Settings | None = None, clients: Any = None, clock: Any = None) -> None:
        self.settings = settings or config.settings()
        if clients is None:
            from chalicelib.adapters.aws import Clients

            clients = Clients(self.settings)
        self.clients = clients
        if clock is None:
            from chalicelib.adapters.system import SystemClock

            clock = SystemClock()
        self.clock = clock

    def with_clock(self, clock: Any) -> Container:
        """The same wiring with another clock (a scheduled event's time)."""
        return Container(self.settings, self.clients, clock)

    @cached_property
    def tokens(self) -> Any:
        from chalicelib.adapters.tokens import TokenService

        return TokenService(self.settings)

    @cached_property
    def accounts(self) -> Any:
        from chalicelib.adapters.accounts_repo import DynamoAccountRepository

        return DynamoAccountRepository(self.clients("dynamodb"), self.settings.table("accounts"))

    @cached_property
    def notifier(self) -> Any:
        from chalicelib.adapters.notifier import AwsNotifier, RecordingNotifier

        notifier: Any = AwsNotifier(self.clients, self.settings.queue("postal-letters"))
        if self.settings.is_local:
            notifier = RecordingNotifier(notifier, self.clients("dynamodb"), self.settings.table("outbox"), self.clock)
        return self._rate_limited(notifier)

    def _rate_limited(self, notifier: Any) -> Any:
        """Never faster than the configured sending rates, across every function (adapters/sending_rate.py)."""
        rates = {"email": self.settings.ses_rate, "sms": self.settings.sms_rate}
        if not any(rates.values()):
            return notifier
        from chalicelib.adapters.sending_rate import RateLimitedNotifier, RateLimiter

        client, table = self.clients("dynamodb"), self.settings.table("waves")
        return RateLimitedNotifier(notifier, {channel: RateLimiter(client, table, channel, rate)
                                              for channel, rate in rates.items() if rate})

    @cached_property
    def access_log(self) -> Any:
        from chalicelib.adapters.audit_repo import DynamoAccessLog

        return DynamoAccessLog(self.clients("dynamodb"), self.settings.table("audit"))

    @cached_property
    def access(self) -> Any:
        from chalicelib.adapters.access_repo import DynamoAccessFacts
        from chalicelib.services.access import AccessService

        facts = DynamoAccessFacts(self.clients("dynamodb"), self.settings.table("accounts"),
                                  self.settings.table("catalogue"))
        return AccessService(facts, self.access_log, self.clock)

    @cached_property
    def messenger(self) -> Any:
        from chalicelib.services.notices import Messenger

        return Messenger(self.accounts, self.notifier)

    @cached_property
    def store(self) -> Any:
        from chalicelib.adapters.s3store import S3Store

        return S3Store(self.clients, self.settings.presign_seconds)

    @cached_property
    def documents(self) -> Any:
        from chalicelib.adapters.records_repo import DynamoDocuments

        return DynamoDocuments(self.clients("dynamodb"), self.settings.table("records"))

    @cached_property
    def rejections(self) -> Any:
        from chalicelib.adapters.sharing_repo import DynamoRejections

        return DynamoRejections(self.clients("dynamodb"), self.settings.table("audit"))

    @cached_property
    def records(self) -> Any:
        from chalicelib.services.records import RecordService

        return RecordService(self.documents, self.store, self.access, self.clock, self.settings.bucket("documents"))

    @cached_property
    def ingest(self) -> Any:
        from chalicelib import resources
        from chalicelib.services.ingest import IngestService

        prefixes = resources.INBOX_BUCKET.prefixes
        return IngestService(self.documents, self.store, self.accounts, self.rejections, self.messenger, self.access,
                             self.clock, self.settings.bucket("documents"), self.settings.bucket("inbox"),
                             prefixes["inbox"], prefixes["quarantine"], attachments=self.messaging)

    @cached_property
    def sharing(self) -> Any:
        from chalicelib.adapters.sharing_repo import DynamoSharing
        from chalicelib.services.sharing import SharingService

        repo = DynamoSharing(self.clients("dynamodb"), self.settings.table("accounts"))
        return SharingService(repo, self.access, self.access_log, self.rejections, self.messenger, self.clock)

    @cached_property
    def care_store(self) -> Any:
        from chalicelib.adapters.care_repo import DynamoCare

        return DynamoCare(self.clients("dynamodb"), self.settings.table("records"))

    @cached_property
    def care(self) -> Any:
        from chalicelib.services.care import CareService

        return CareService(self.care_store, self.accounts, self.access, self.clock)

    @cached_property
    def agenda(self) -> Any:
        from chalicelib.services.agenda import AgendaService

        return AgendaService(self.care_store, self.accounts, self.access, self.messenger, self.clock)

    @property
    def reminders(self) -> Any:
        """The `reminders` job's service."""
        return self.agenda

    @cached_property
    def reimbursements(self) -> Any:
        from chalicelib.services.reimbursements import ReimbursementService

        return ReimbursementService(self.care_store, self.accounts, self.access, self.clock)

    @cached_property
    def catalogue(self) -> Any:
        from chalicelib.adapters.catalogue_repo import DynamoCatalogue, DynamoConsents
        from chalicelib.services.catalogue import CatalogueService

        client = self.clients("dynamodb")
        return CatalogueService(DynamoCatalogue(client, self.settings.table("catalogue")),
                                DynamoConsents(client, self.settings.table("accounts")), self.accounts, self.access,
                                self.clock)

    @cached_property
    def messaging(self) -> Any:
        from chalicelib.adapters.messaging_repo import DynamoConversations
        from chalicelib.services.messaging import MessagingService

        conversations = DynamoConversations(self.clients("dynamodb"), self.settings.table("messaging"))
        return MessagingService(conversations, self.documents, self.store, self.access, self.messenger, self.clock,
                                self.settings.bucket("documents"))

    @cached_property
    def erasers(self) -> list[Any]:
        """Every capability that keeps a person's data, erased by the archive purge (objects before items)."""
        return [self.messaging, self.records, self.access_log]

    @cached_property
    def lifecycle(self) -> Any:
        from chalicelib.adapters.system import CsprngSecrets
        from chalicelib.services.lifecycle import LifecycleService

        return LifecycleService(self.accounts, self.notifier, self.clock, CsprngSecrets(),
                                self.settings.secret_pepper, self.erasers, space_listeners=[self.agenda])

    # -- national waves: work that runs as many units (CONTRACT §8) --------------------------------------------------
    @cached_property
    def waves(self) -> Any:
        from chalicelib.adapters.waves_repo import DynamoWaves

        return DynamoWaves(self.clients("dynamodb"), self.settings.table("waves"))

    @cached_property
    def queues(self) -> Any:
        from chalicelib.adapters.queues import SqsQueues

        return SqsQueues(self.clients, self.settings)

    @cached_property
    def batches(self) -> Any:
        from chalicelib import resources
        from chalicelib.adapters.batch_files import S3BatchFiles
        from chalicelib.services.waves import EnrolmentBatches

        files = S3BatchFiles(self.clients, self.settings.bucket("batches"), presign_seconds=900)
        prefixes = resources.BATCHES_BUCKET.prefixes
        return EnrolmentBatches(self.waves, files, self.queues, self.lifecycle, self.clock,
                                uploads_prefix=prefixes["uploads"], reports_prefix=prefixes["reports"],
                                lease_seconds=resources.CONSUMER["batch_control"].timeout_seconds + 60,
                                unit_lease_seconds=resources.CONSUMER["enrolment_unit"].timeout_seconds + 60)

    @cached_property
    def fanout(self) -> Any:
        from chalicelib import resources
        from chalicelib.adapters.due_index import DynamoDueIndex
        from chalicelib.services.fanout import FanOut

        return FanOut(self.waves, self.queues, DynamoDueIndex(self.clients("dynamodb"), self.settings), self.clock,
                      shards=resources.DUE_SHARDS,
                      lease_seconds=resources.CONSUMER["job_unit"].timeout_seconds + 60)


_container: Container | None = None
_lock = threading.Lock()


def container() -> Container:
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                _container = Container()
    return _container


def use(replacement: Container | None) -> None:
    """Install a container (tests), or None to rebuild from the environment on next use."""
    global _container
    _container = replacement
