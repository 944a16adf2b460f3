"""The composition root: builds services from adapters, once per process, on first use.

Handlers call :func:`container` and one service of it; tests install a container of their own with :func:`use`
(a moto-backed one, or one with a pinned clock and ids).

This is the one module of ens that imports ens's own modules inside functions: each accessor imports the adapters
and the service of its capability when first used. Importing every capability costs a fresh process tens of
milliseconds (their dataclasses, enums and reference data), and a Lambda cold start pays it on the first request:
a function that serves ``GET /me`` loads the lifecycle, never messaging or the PDF summary. Everything else in
``chalicelib`` imports at the top of the module; only heavy third-party libraries (pydantic, boto3, PyJWT, fpdf2,
icalendar, Powertools) are imported where first used.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib import config, observability, resources

if TYPE_CHECKING:
    from chalicelib.adapters.accounts_repo import DynamoAccountRepository
    from chalicelib.adapters.audit_repo import DynamoAccessLog, DynamoRejections
    from chalicelib.adapters.family_repo import DynamoFamily
    from chalicelib.adapters.queues import SqsQueues
    from chalicelib.adapters.records_repo import DynamoDocuments
    from chalicelib.adapters.s3store import S3Store
    from chalicelib.adapters.tokens import TokenService
    from chalicelib.adapters.waves_repo import DynamoWaves
    from chalicelib.ports import ArchiveEraser, Clock, Ids, Notifier, SpaceListener
    from chalicelib.services.access import AccessService
    from chalicelib.services.agenda import AgendaService
    from chalicelib.services.care import CareService
    from chalicelib.services.catalogue import CatalogueService
    from chalicelib.services.exports import ExportService
    from chalicelib.services.family import FamilyService
    from chalicelib.services.fanout import FanOut
    from chalicelib.services.ingest import IngestService
    from chalicelib.services.lifecycle import LifecycleService
    from chalicelib.services.messaging import MessagingService
    from chalicelib.services.notices import Messenger
    from chalicelib.services.notifications import NotificationService
    from chalicelib.services.records import RecordService
    from chalicelib.services.reimbursements import ReimbursementService
    from chalicelib.services.sharing import SharingService
    from chalicelib.services.submissions import SubmissionService
    from chalicelib.services.waves import EnrolmentBatches


class Container:
    """Everything a process needs, built lazily from its settings. ``clients`` (boto3, built lazily too), the clock
    and the ids are injected: tests and scheduled runs pin them."""

    def __init__(self, settings: config.Settings | None = None, clients: Any = None, clock: Clock | None = None,
                 ids: Ids | None = None) -> None:
        self.settings = settings or config.settings()
        if clients is None:
            from chalicelib.adapters.aws import Clients

            clients = Clients(self.settings)
        self.clients = clients
        if clock is None:
            from chalicelib.adapters.system import SystemClock

            clock = SystemClock()
        self.clock: Clock = clock
        if ids is None:
            from chalicelib.adapters.system import RandomIds

            ids = RandomIds()
        self.ids: Ids = ids

    def with_clock(self, clock: Clock) -> Container:
        """The same wiring with another clock (a scheduled event's time)."""
        return Container(self.settings, self.clients, clock, self.ids)

    def _dynamodb(self) -> Any:
        return self.clients("dynamodb")

    # -- adapters shared by several capabilities ------------------------------------------------------------------
    @cached_property
    def tokens(self) -> TokenService:
        from chalicelib.adapters.tokens import TokenService

        return TokenService(self.settings)

    @cached_property
    def accounts(self) -> DynamoAccountRepository:
        from chalicelib.adapters.accounts_repo import DynamoAccountRepository

        return DynamoAccountRepository(self._dynamodb(), self.settings.table("accounts"))

    @cached_property
    def notifier(self) -> Notifier:
        from chalicelib.adapters.notifier import AwsNotifier, RecordingNotifier

        aws = AwsNotifier(self.clients, self.settings.queue("postal-letters"))
        notifier: Notifier = aws
        if self.settings.is_local:
            notifier = RecordingNotifier(aws, self._dynamodb(), self.settings.table("outbox"), self.clock)
        return self._rate_limited(notifier)

    def _rate_limited(self, notifier: Notifier) -> Notifier:
        """Never faster than the configured sending rates, across every function (adapters/sending_rate.py)."""
        rates = {"email": self.settings.ses_rate, "sms": self.settings.sms_rate}
        if not any(rates.values()):
            return notifier
        from chalicelib.adapters.sending_rate import RateLimitedNotifier, RateLimiter

        client, table = self._dynamodb(), self.settings.table("waves")
        return RateLimitedNotifier(notifier, {channel: RateLimiter(client, table, channel, rate)
                                              for channel, rate in rates.items() if rate})

    @cached_property
    def access_log(self) -> DynamoAccessLog:
        from chalicelib.adapters.audit_repo import DynamoAccessLog

        return DynamoAccessLog(self._dynamodb(), self.settings.table("audit"), self.ids)

    @cached_property
    def rejections(self) -> DynamoRejections:
        from chalicelib.adapters.audit_repo import DynamoRejections

        return DynamoRejections(self._dynamodb(), self.settings.table("audit"))

    @cached_property
    def access(self) -> AccessService:
        from chalicelib.adapters.access_repo import DynamoAccessFacts
        from chalicelib.services.access import AccessService

        facts = DynamoAccessFacts(self._dynamodb(), self.settings.table("accounts"), self.settings.table("catalogue"))
        return AccessService(facts, self.access_log, self.clock)

    @cached_property
    def messenger(self) -> Messenger:
        """Every sender's: the contact rules, the recipient's preferences, the notification centre's copy."""
        from chalicelib.adapters.notices_repo import DynamoNotificationCentre, DynamoPreferences
        from chalicelib.services.notices import Messenger

        return Messenger(self.accounts, self.notifier,
                         DynamoPreferences(self._dynamodb(), self.settings.table("accounts")),
                         DynamoNotificationCentre(self._dynamodb(), self.settings.table("records")),
                         self.clock, self.ids)

    @cached_property
    def store(self) -> S3Store:
        from chalicelib.adapters.s3store import S3Store

        return S3Store(self.clients, self.settings.presign_seconds)

    @cached_property
    def documents(self) -> DynamoDocuments:
        from chalicelib.adapters.records_repo import DynamoDocuments

        return DynamoDocuments(self._dynamodb(), self.settings.table("records"))

    # -- capabilities ---------------------------------------------------------------------------------------------
    @cached_property
    def lifecycle(self) -> LifecycleService:
        from chalicelib.adapters.system import CsprngSecrets
        from chalicelib.services.lifecycle import LifecycleService

        return LifecycleService(self.accounts, self.notifier, self.clock, CsprngSecrets(), self.settings.secret_pepper,
                                self.access, erasers=lambda: self.erasers,
                                space_listeners=lambda: self.space_listeners, family=self.family_links,
                                messenger=self.messenger)

    @cached_property
    def records(self) -> RecordService:
        from chalicelib.services.records import RecordService

        return RecordService(self.documents, self.store, self.access, self.clock, self.ids,
                             self.settings.bucket("documents"))

    @cached_property
    def submissions(self) -> SubmissionService:
        """Documents submitted whole (FHIR ITI-65) and staged uploads (``Binary/$upload``)."""
        from chalicelib.services.submissions import SubmissionService

        return SubmissionService(self.documents, self.store, self.access, self.clock, self.ids,
                                 self.settings.bucket("documents"), self.settings.presign_seconds)

    @cached_property
    def ingest(self) -> IngestService:
        from chalicelib.services.ingest import IngestService

        prefixes = resources.INBOX_BUCKET.prefixes
        return IngestService(self.documents, self.store, self.accounts, self.rejections, self.messenger, self.access,
                             self.clock, self.settings.bucket("documents"), self.settings.bucket("inbox"),
                             prefixes["inbox"], prefixes["quarantine"], attachments=lambda: self.messaging,
                             alert=_alert)

    @cached_property
    def sharing(self) -> SharingService:
        from chalicelib.adapters.sharing_repo import DynamoSharing
        from chalicelib.services.sharing import SharingService

        repo = DynamoSharing(self._dynamodb(), self.settings.table("accounts"))
        return SharingService(repo, self.access, self.access_log, self.rejections, self.messenger, self.clock)

    @cached_property
    def care(self) -> CareService:
        from chalicelib.adapters.care_repo import DynamoCare
        from chalicelib.adapters.renderers import PdfSummaries
        from chalicelib.services.care import CareService

        return CareService(DynamoCare(self._dynamodb(), self.settings.table("records")), self.accounts, self.access,
                           self.clock, self.ids, PdfSummaries())

    @cached_property
    def agenda(self) -> AgendaService:
        from chalicelib.adapters.agenda_repo import DynamoAgenda
        from chalicelib.adapters.renderers import IcsCalendars
        from chalicelib.services.agenda import AgendaService

        return AgendaService(DynamoAgenda(self._dynamodb(), self.settings.table("records")), self.accounts,
                             self.access, self.messenger, self.clock, self.ids, IcsCalendars())

    @property
    def reminders(self) -> AgendaService:
        """The `reminders` job's service."""
        return self.agenda

    @cached_property
    def reimbursements(self) -> ReimbursementService:
        from chalicelib.adapters.reimbursements_repo import DynamoReimbursements
        from chalicelib.services.reimbursements import ReimbursementService

        return ReimbursementService(DynamoReimbursements(self._dynamodb(), self.settings.table("records")),
                                    self.accounts, self.access, self.clock)

    @cached_property
    def catalogue(self) -> CatalogueService:
        from chalicelib.adapters.catalogue_repo import DynamoCatalogue, DynamoConsents
        from chalicelib.services.catalogue import CatalogueService

        client = self._dynamodb()
        return CatalogueService(DynamoCatalogue(client, self.settings.table("catalogue")),
                                DynamoConsents(client, self.settings.table("accounts")), self.access, self.clock)

    @cached_property
    def family_links(self) -> DynamoFamily:
        """Carers, second legal representatives, invitations, coming of age (the accounts table)."""
        from chalicelib.adapters.family_repo import DynamoFamily

        return DynamoFamily(self._dynamodb(), self.settings.table("accounts"))

    @cached_property
    def family(self) -> FamilyService:
        from chalicelib.services.family import FamilyService

        return FamilyService(self.family_links, self.accounts, self.access, self.messenger, self.clock, self.ids)

    @cached_property
    def messaging(self) -> MessagingService:
        from chalicelib.adapters.messaging_repo import DynamoConversations
        from chalicelib.services.messaging import MessagingService

        conversations = DynamoConversations(self._dynamodb(), self.settings.table("messaging"))
        return MessagingService(conversations, self.documents, self.store, self.access, self.messenger, self.clock,
                                self.ids, self.settings.bucket("documents"))

    @cached_property
    def notifications(self) -> NotificationService:
        from chalicelib.adapters.notices_repo import DynamoNotificationCentre, DynamoPreferences
        from chalicelib.services.notifications import NotificationService

        client = self._dynamodb()
        return NotificationService(DynamoNotificationCentre(client, self.settings.table("records")),
                                   DynamoPreferences(client, self.settings.table("accounts")), self.accounts,
                                   self.access, self.clock)

    @cached_property
    def exports(self) -> ExportService:
        from chalicelib.adapters.export_archive import S3Archives
        from chalicelib.adapters.export_render import ExportRenderer
        from chalicelib.adapters.exports_repo import DynamoExports
        from chalicelib.services.exports import ExportService, SpaceServices

        archives = S3Archives(self.clients, self.settings.bucket("exports"),
                              resources.EXPORTS_BUCKET.prefixes["exports"], self.settings.presign_seconds)
        return ExportService(
            DynamoExports(self._dynamodb(), self.settings.table("records")), archives,
            self.queues, self.store, ExportRenderer(), self.accounts, self.access,
            self.messenger, self.clock, self.ids, self.settings.bucket("documents"),
            services=lambda: SpaceServices(self.records, self.care, self.agenda, self.messaging, self.reimbursements,
                                           self.catalogue, self.sharing))

    # -- registrations --------------------------------------------------------------------------------------------
    @property
    def erasers(self) -> Sequence[ArchiveEraser]:
        """Every capability that keeps a person's data, erased by the archive purge, objects before items. A new
        capability that stores anything about a person adds itself here (``tests/handlers/test_purge.py`` fails
        otherwise: it looks for anything left of the person in every table and bucket)."""
        return [self.exports, self.messaging, self.records, self.submissions, self.care, self.agenda,
                self.reimbursements, self.family, self.notifications, self.access_log]

    @property
    def space_listeners(self) -> Sequence[SpaceListener]:
        """The capabilities told when a space opens."""
        return [self.agenda, self.family]

    # -- national waves: work that runs as many units (CONTRACT §8) ----------------------------------------------
    @cached_property
    def waves(self) -> DynamoWaves:
        from chalicelib.adapters.waves_repo import DynamoWaves

        return DynamoWaves(self._dynamodb(), self.settings.table("waves"))

    @cached_property
    def queues(self) -> SqsQueues:
        from chalicelib.adapters.queues import SqsQueues

        return SqsQueues(self.clients, self.settings)

    @cached_property
    def batches(self) -> EnrolmentBatches:
        from chalicelib.adapters.batch_files import S3BatchFiles
        from chalicelib.models.lifecycle import validate_row
        from chalicelib.services.waves import EnrolmentBatches

        files = S3BatchFiles(self.clients, self.settings.bucket("batches"), presign_seconds=900)
        prefixes = resources.BATCHES_BUCKET.prefixes
        return EnrolmentBatches(self.waves, files, self.queues, self.lifecycle, self.access, self.clock, self.ids,
                                validate_row,
                                uploads_prefix=prefixes["uploads"], reports_prefix=prefixes["reports"],
                                lease_seconds=resources.CONSUMER["batch_control"].timeout_seconds + 60,
                                unit_lease_seconds=resources.CONSUMER["enrolment_unit"].timeout_seconds + 60)

    @cached_property
    def fanout(self) -> FanOut:
        from chalicelib.adapters.due_index import DynamoDueIndex
        from chalicelib.services.fanout import FanOut

        return FanOut(self.waves, self.queues, DynamoDueIndex(self._dynamodb(), self.settings), self.clock,
                      self.ids, shards=resources.DUE_SHARDS,
                      lease_seconds=resources.CONSUMER["job_unit"].timeout_seconds + 60)


def _alert(message: str, details: dict[str, Any]) -> None:
    """An operational event (no personal data): a log line at error level, which the stage's alarms watch."""
    observability.logger().error(message, extra=details)


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
