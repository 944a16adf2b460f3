"""The fewest AWS calls each operation needs, scenario by scenario, and why; where ens makes more, why it does.

How a minimum is counted (the same rules for every row):

1. every item the operation needs is read once; items of one table needed together are one BatchGetItem, or
   one Query when they share a partition and a key prefix (a page of a listing is one Query);
2. every item is written once, one write per item, unless items must change together (then one transaction);
   folding independent writes (the access log) into a transaction would save a round trip but double their
   write cost, so it does not count as a saving;
3. a conditional write replaces a read whenever the condition is all the read was for;
4. presigned URLs are signed locally: they are not calls;
5. the local stage's copy of each notice in the ``outbox`` table is not counted (it is not deployed).

Labels are ``Operation logical-resource`` as :class:`bench.recorder.Call` spells them (``Query records/due``).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.resources import DUE_SHARDS

FACTS = "BatchGetItem accounts"  # the access decision's facts: one BatchGetItem on the patient's partition
LOG = "PutItem audit"  # one access-log line (someone other than the patient)
NOTICE = "SendEmail"  # the scenarios' people have an email address
SHARDS = DUE_SHARDS  # a job Queries each shard of the sparse due index


@dataclass(frozen=True)
class Minimum:
    calls: tuple[str, ...]
    why: str
    excess: str = ""  # why ens makes more calls than the minimum (empty when it does not)


def n(count: int, label: str) -> tuple[str, ...]:
    return (label,) * count


RE_READ_FACTS = ("the service reads again an item the access decision's BatchGetItem has just read (the facts keep "
                 "only what the decision needs): handing the items over would save the call")
NOTIFY_RE_READ = ("the notice re-reads the patient's account for the contact (`Messenger.tell(ins)`) although the "
                  "request already read it")

MINIMUMS: dict[tuple[str, str], Minimum] = {
    # -- system --------------------------------------------------------------------------------------------------------
    ("GET /health", "anonymous"): Minimum((), "a constant answer"),
    ("GET /openapi.json", "anonymous"): Minimum((), "built from the route declarations"),
    ("GET /document-types", "anonymous"): Minimum((), "published reference data, packaged with the code"),
    ("GET /fhir/metadata", "anonymous"): Minimum((), "the CapabilityStatement, generated from the declarations"),
    # -- lifecycle -----------------------------------------------------------------------------------------------------
    ("POST /enrolments", "agent, 1 new person with an email"): Minimum(
        ("PutItem accounts", NOTICE),
        "a conditional create (`attribute_not_exists`) refuses a duplicate without a read; the notice",
        "reads the account first, to tell a closed space being re-enrolled (restored) from a duplicate; a "
        "conditional create first, reading only when it fails, would save the read for new people"),
    ("POST /enrolment-batches", "agent, a file of 1 person"): Minimum(
        ("PutItem waves",), "the batch, awaiting its upload; the PUT URL is presigned (no call)"),
    ("GET /enrolment-batches/{batch_id}", "agent, the batch done (its report presigned)"): Minimum(
        ("GetItem waves",), "the batch: status, counters, report key in one item; the report's URL is presigned"),
    ("POST /activation", "the person, with NIR, card serial and code"): Minimum(
        ("GetItem accounts", "PutItem accounts", "UpdateItem records"),
        "the account (code and serial hashes, state, version), its versioned write, the first reminder scheduled"),
    ("POST /opt-out", "online, with the provisional code"): Minimum(
        ("GetItem accounts", "PutItem accounts"), "the account (code hash, state, version) and its versioned write"),
    ("POST /opt-out", "by phone, through an agent"): Minimum(
        ("GetItem accounts", "PutItem accounts"), "the account (state, version) and its versioned write"),
    ("POST /activation-codes", "right card serial: a new code is sent"): Minimum(
        ("GetItem accounts", "PutItem accounts", NOTICE),
        "the account (serial hash, state), the new code's hash written, the code sent"),
    ("GET /me", "patient without dependants"): Minimum(
        ("GetItem accounts", "Query accounts"),
        "the account (its state decides, and it is the answer) and the DEPENDANT# links (one Query)",
        RE_READ_FACTS),
    ("POST /me/closure", "patient, deletion requested"): Minimum(
        ("GetItem accounts", "PutItem accounts"), "the account (state, version) and its versioned write",
        RE_READ_FACTS),
    # -- record -----------------------------------------------------------------------------------------------------
    ("POST /patients/{ins}/care-relationship", "professional"): Minimum(
        (FACTS, "PutItem accounts", LOG), "the decision's facts, the relation, the log line",
        "reads the professional's relation again to keep its profession; the facts' BatchGetItem has just read it"),
    ("POST /patients/{ins}/documents", "patient declares an upload"): Minimum(
        (FACTS, "PutItem records"), "the facts, the pending document; the upload URL is presigned (no call)"),
    ("POST /patients/{ins}/documents", "professional declares an upload (logged)"): Minimum(
        (FACTS, "PutItem records", LOG), "the facts, the pending document, the log line; the URL is presigned"),
    ("GET /patients/{ins}/documents", "professional, 5 documents (logged)"): Minimum(
        (FACTS, "Query records", LOG), "the facts, one page (one Query), the log line"),
    ("GET /patients/{ins}/documents", "patient, own space"): Minimum(
        (FACTS, "Query records"), "the facts, one page; the patient's own reads are not logged"),
    ("GET /patients/{ins}/documents", "professional, 2 of 5 documents (logged)"): Minimum(
        (FACTS, "Query records", LOG), "the facts, one page (one Query, a next cursor), the log line"),
    ("GET /fhir/DocumentReference", "professional, 5 documents (logged)"): Minimum(
        (FACTS, "Query records", LOG), "as the REST listing: the facts, one page, the log line (the last page: "
        "Bundle.total is what it holds, no count)"),
    ("GET /fhir/DocumentReference", "professional, 2 of 5 documents, _total=none (logged)"): Minimum(
        (FACTS, "Query records", LOG), "as the REST listing with limit=2: the facts, one page, the log line"),
    ("GET /fhir/DocumentReference", "professional, 2 of 5 documents, with total (logged)"): Minimum(
        (FACTS, "Query records", "Query records", LOG),
        "the facts, one page, the count pass (one Query of the partition per 1 MB, projecting the decision's "
        "attributes; each document decided as the page decides it), the log line"),
    ("GET /patients/{ins}/documents/{document_id}", "professional (logged)"): Minimum(
        (FACTS, "GetItem records", LOG), "the facts, the document, the log line; the download URL is presigned"),
    ("PATCH /patients/{ins}/documents/{document_id}", "patient masks"): Minimum(
        (FACTS, "GetItem records", "PutItem records"), "the facts, the document (version), its versioned write"),
    ("DELETE /patients/{ins}/documents/{document_id}", "patient deletes"): Minimum(
        (FACTS, "GetItem records", "PutItem records"), "the facts, the document (version), its versioned write"),
    # -- FHIR (CONTRACT §9): each route calls its REST twin's service ---------------------------------------------
    ("GET /fhir/Patient", "attending professional"): Minimum(
        (FACTS, LOG), "the decision's facts (they hold the account: state and identity), the log line",
        "reads the account again for its state and identity (`LifecycleService.patient`); " + RE_READ_FACTS),
    ("GET /fhir/DocumentReference/{document_id}", "professional (logged)"): Minimum(
        ("Query records/by_document", FACTS, LOG),
        "the document from its id alone (the index names its patient), the facts, the log line; the download URL "
        "is presigned",
        "re-reads the document by key (consistent) after the index lookup, as the ingest does"),
    ("GET /fhir/Binary/{binary_id}", "professional, ITI-68 redirect (logged)"): Minimum(
        ("Query records/by_document", FACTS, LOG),
        "as GET DocumentReference/{id}: the document from its id, the facts, the log line; the redirect's URL is "
        "presigned", "re-reads the document by key (consistent) after the index lookup"),
    ("PATCH /fhir/DocumentReference/{document_id}", "patient unmasks"): Minimum(
        ("Query records/by_document", FACTS, "GetItem records", "PutItem records"),
        "the document's patient from its id (the index), the facts, the document (version), its versioned write",
        "reads the document by key twice: once to find its space (`RecordService.amend`), once inside the "
        "retried step as the REST PATCH does"),
    ("POST /fhir", "professional, ITI-65 with 1 PDF (logged)"): Minimum(
        (FACTS, "PutObject documents", "TransactWriteItems records", LOG),
        "the facts, the bytes (S3 checks their SHA-1) under a key nothing points at yet, every document in one "
        "transaction (all or nothing), the log line; the bytes' S3 event then sends the patient's notice"),
    ("POST /fhir/Binary/{binary_id}", "professional, $upload"): Minimum(
        (FACTS,), "the decision's facts (adding a document to this space); the PUT URL is presigned"),
    ("POST /fhir", "patient, Mesures de santé: a Device and a weight"): Minimum(
        (FACTS, "PutItem records", "PutItem records", "PutItem records"),
        "the facts, the Device (conditional create on its identifier), the measurement, its LATEST# copy"),
    ("GET /fhir/Observation", "patient"): Minimum((FACTS, "Query records"), "as REST: the facts, one page"),
    ("GET /fhir/Immunization", "professional (logged)"): Minimum(
        (FACTS, "Query records", LOG), "as REST: the facts, one page, the log line"),
    ("GET /fhir/AllergyIntolerance", "professional (logged)"): Minimum(
        (FACTS, "GetItem records", LOG), "as GET profile: the facts, the profile, the log line"),
    ("GET /fhir/AuditEvent", "patient"): Minimum((FACTS, "Query audit"), "as REST: the facts, one page of the log"),
    # -- sharing ----------------------------------------------------------------------------------------------------
    ("PUT /patients/{ins}/professionals/{rpps}", "patient blocks one"): Minimum(
        (FACTS, "PutItem accounts"), "the facts, the relation written (an UpdateItem keeps its other fields)",
        "reads the relation first to keep its profession; `SET status, via, since` in an UpdateItem would not"),
    ("GET /patients/{ins}/professionals", "patient"): Minimum(
        (FACTS, "Query accounts"), "the facts (their SETTINGS item names the attending doctor), one page of PRO#",
        "reads the SETTINGS item again for the attending doctor; " + RE_READ_FACTS),
    ("PUT /patients/{ins}/attending-doctor", "patient names one"): Minimum(
        (FACTS, "PutItem accounts", "UpdateItem accounts"),
        "the facts, the relation (its write conditioned on not being blocked), the settings",
        "reads the relation twice (the blocked check, then again to keep its profession): a condition on the "
        "write does both"),
    ("GET /patients/{ins}/attending-doctor", "patient"): Minimum(
        (FACTS,), "the facts' BatchGetItem reads the SETTINGS item, which holds the answer", RE_READ_FACTS),
    ("PUT /patients/{ins}/emergency-settings", "patient"): Minimum(
        (FACTS, "UpdateItem accounts"), "the facts (with the current settings), the settings written",
        "reads the SETTINGS item again to merge the change; " + RE_READ_FACTS),
    ("GET /patients/{ins}/emergency-settings", "patient"): Minimum(
        (FACTS,), "the facts' BatchGetItem reads the SETTINGS item, which holds the answer", RE_READ_FACTS),
    ("POST /patients/{ins}/emergency-access", "SAMU doctor (the patient is told)"): Minimum(
        (FACTS, "PutItem accounts", LOG, NOTICE),
        "the facts (the account gives the contact), the emergency access, the log line, the notice", NOTIFY_RE_READ),
    ("GET /patients/{ins}/access-log", "patient"): Minimum((FACTS, "Query audit"), "the facts, one page of the log"),
    ("GET /establishments/{finess}/rejections", "establishment, its own"): Minimum(
        ("Query audit",), "one page of REJ#{finess}; the establishment is known from its token"),
    # -- messaging ----------------------------------------------------------------------------------------------------
    ("POST /conversations", "professional, text only (the patient is told)"): Minimum(
        (FACTS, "TransactWriteItems messaging", NOTICE),
        "the facts (space open, not blocked; the contact), the conversation, message and both parties' lists "
        "(one transaction), the notice", NOTIFY_RE_READ),
    ("POST /conversations", "professional, 1 record document attached"): Minimum(
        (FACTS, "GetItem records", "TransactWriteItems messaging", NOTICE, LOG),
        "as above, plus the document (may the sender see it?) and the log of the document shared",
        "loads the decision's facts twice (to write, then to read the record: the same keys); " + NOTIFY_RE_READ),
    ("POST /conversations/{conversation_id}/messages", "patient replies"): Minimum(
        (FACTS, "GetItem messaging", "TransactWriteItems messaging"),
        "the patient's account (active), the conversation (participants, open), the message and the lists"),
    ("POST /conversations/{conversation_id}/messages", "professional, 1 new file to upload"): Minimum(
        ("GetItem messaging", FACTS, "TransactWriteItems messaging", NOTICE),
        "the conversation, the facts (the starter may still write), the message, the notice; the upload URL "
        "is presigned", NOTIFY_RE_READ),
    ("GET /conversations", "patient"): Minimum((FACTS, "Query messaging"), "the caller's account, one page"),
    ("GET /conversations/{conversation_id}", "patient, 3 messages"): Minimum(
        (FACTS, "GetItem messaging", "Query messaging", "BatchGetItem messaging"),
        "the caller's account, the conversation, one page of messages, the current state of the uploaded "
        "attachments (one BatchGetItem)"),
    ("GET /conversations/{conversation_id}/attachments/{attachment_id}", "patient, a record document"): Minimum(
        (FACTS, "BatchGetItem messaging", "GetItem records"),
        "the facts, the conversation and the attachment (one BatchGetItem), the document; URL presigned",
        "loads the facts twice (caller check, then the record decision: the same keys for a patient) and reads "
        "the conversation and the attachment with two GetItem"),
    ("GET /conversations/{conversation_id}/attachments/{attachment_id}", "patient, an uploaded file"): Minimum(
        (FACTS, "BatchGetItem messaging"), "the caller's account, the conversation and the attachment together",
        "reads the conversation and the attachment with two GetItem instead of one BatchGetItem"),
    ("POST /conversations/{conversation_id}/attachments/{attachment_id}/file", "patient files it"): Minimum(
        (FACTS, "BatchGetItem messaging", "UpdateItem messaging", "CopyObject documents", "PutItem records"),
        "the facts, the conversation and attachment, the filing claimed (conditional), the object copied, the "
        "document", "loads the facts twice (caller check, then the record decision) and reads the conversation "
        "and the attachment with two GetItem"),
    ("POST /conversations/{conversation_id}/close", "the starting professional"): Minimum(
        ("GetItem messaging", FACTS, "TransactWriteItems messaging"),
        "the conversation, the facts (the starter keeps it only while they could start it), the status in the "
        "conversation and both lists"),
    ("POST /conversations/{conversation_id}/reopen", "the starting professional"): Minimum(
        ("GetItem messaging", FACTS, "TransactWriteItems messaging"), "as closing"),
    # -- profile, care, agenda ---------------------------------------------------------------------------------------
    ("PUT /patients/{ins}/profile", "patient"): Minimum((FACTS, "PutItem records"), "the facts, the profile"),
    ("GET /patients/{ins}/profile", "professional (logged)"): Minimum(
        (FACTS, "GetItem records", LOG), "the facts, the profile, the log line"),
    ("POST /patients/{ins}/vaccinations", "professional (logged)"): Minimum(
        (FACTS, "PutItem records", LOG), "the facts, the vaccination, the log line"),
    ("GET /patients/{ins}/vaccinations", "patient"): Minimum((FACTS, "Query records"), "the facts, one page"),
    ("POST /patients/{ins}/measurements", "patient"): Minimum(
        (FACTS, "PutItem records", "PutItem records"),
        "the facts, the measurement, the LATEST#{code} copy (conditional: a late older value never replaces it)"),
    ("POST /patients/{ins}/measurements", "an app the patient consented to"): Minimum(
        (FACTS, "GetItem catalogue", "PutItem records", "PutItem records", LOG),
        "the facts (with the consent), the app's agreement, the measurement, LATEST# (here its condition fails: "
        "same time), the log line"),
    ("GET /patients/{ins}/measurements", "patient"): Minimum((FACTS, "Query records"), "the facts, one page"),
    ("GET /patients/{ins}/summary.pdf", "patient"): Minimum(
        (FACTS, "GetItem records", "Query records", "Query records"),
        "the facts (the account gives the identity), the profile, vaccinations and latest measurements "
        "(two key prefixes: two Queries)", "reads the account again for the identity; " + RE_READ_FACTS),
    ("POST /patients/{ins}/appointments", "patient"): Minimum((FACTS, "PutItem records"), "the facts, the entry"),
    ("GET /patients/{ins}/appointments", "patient"): Minimum((FACTS, "Query records"), "the facts, one page"),
    ("GET /patients/{ins}/agenda.ics", "patient"): Minimum(
        (FACTS, "Query records", "GetItem records"),
        "the facts (birth date for the reminders), the appointments, the reminders already sent",
        "reads the account again for the birth date; " + RE_READ_FACTS),
    ("GET /patients/{ins}/reminders", "patient"): Minimum(
        (FACTS, "GetItem records"), "the facts (birth date), the reminders already sent",
        "reads the account again for the birth date; " + RE_READ_FACTS),
    ("POST /reimbursements", "agent, 1 line"): Minimum(
        ("GetItem accounts", "PutItem records"),
        "per line: the space exists, the line written (conditional on its derived id: a resent line is a "
        "duplicate)"),
    ("GET /patients/{ins}/reimbursements", "patient"): Minimum((FACTS, "Query records"), "the facts, one page"),
    # -- catalogue and consents ----------------------------------------------------------------------------------------
    ("POST /catalogue", "agent references an app"): Minimum(("PutItem catalogue",), "a conditional create"),
    ("GET /catalogue", "anonymous, 1 app"): Minimum(("Query catalogue",), "one page of the catalogue partition"),
    ("GET /catalogue/{app_id}", "anonymous"): Minimum(("GetItem catalogue",), "the app"),
    ("PATCH /catalogue/{app_id}", "agent widens its access"): Minimum(
        ("GetItem catalogue", "PutItem catalogue"), "the app (version) and its versioned write"),
    ("PUT /patients/{ins}/app-consents/{app_id}", "patient consents"): Minimum(
        (FACTS, "GetItem catalogue", "PutItem accounts"), "the facts, the app's agreement, the consent"),
    ("GET /patients/{ins}/app-consents", "patient"): Minimum(
        (FACTS, "Query accounts", "BatchGetItem catalogue"),
        "the facts, the CONSENT# items, the apps' current agreements (one BatchGetItem)"),
    ("DELETE /patients/{ins}/app-consents/{app_id}", "patient revokes"): Minimum(
        (FACTS, "DeleteItem accounts"), "the facts, the consent deleted"),
    # -- S3 events ----------------------------------------------------------------------------------------------------
    ("ingest: vault upload", "professional's PDF (the patient is told)"): Minimum(
        ("Query records/by_document", "GetItem accounts", "GetObject documents", "PutItem records", NOTICE,
         "PutItem records"),
        "the document from its id (index: status and version), the space (and contact), the first 4 KB "
        "(ranged GET), the document's versioned write (available, the notice owed listed on it), the notice, the "
        "notice crossed off (a redelivered event finishes what a failure left: at least once, never lost)",
        "re-reads the document by key (consistent) after the index lookup: a write conditioned on the index "
        "copy's version would fail only when that copy is stale; " + NOTIFY_RE_READ),
    ("ingest: vault upload", "the same event again (duplicate)"): Minimum(
        ("Query records/by_document",), "the index copy is not pending: nothing to do (status only moves on)",
        "re-reads the document by key (consistent) before deciding it is a duplicate"),
    ("ingest: vault upload", "patient's own PDF"): Minimum(
        ("Query records/by_document", "GetItem accounts", "GetObject documents", "PutItem records"),
        "the document from its id, the space, the first 4 KB, the versioned write",
        "re-reads the document by key (consistent) after the index lookup"),
    ("ingest: inbox drop", "a laboratory's result for an active space"): Minimum(
        ("GetObject inbox", "GetItem accounts", "CopyObject documents", "TransactWriteItems records", LOG,
         "PutItem records", NOTICE, "PutItem records", "DeleteObject inbox"),
        "the file's metadata and first 4 KB, the space (and contact), the server-side copy into the vault, the "
        "document with its fingerprint marker and the effects it owes (one transaction: exactly once), the log "
        "line then its crossing off, the notice then its crossing off (one at a time: a redelivered event never "
        "logs twice), the inbox version removed",
        "reads the fingerprint marker before copying, so that a redelivered event does not copy the file again "
        "(the transaction alone keeps it to one document: one read on every first delivery buys one copy less "
        "on each replay); " + NOTIFY_RE_READ),
    ("ingest: inbox drop", "unknown INS: quarantined"): Minimum(
        ("GetObject inbox", "GetItem accounts", "CopyObject inbox", "PutItem audit", "DeleteObject inbox"),
        "the metadata, the space (there is none), the copy into quarantine, the rejection, the inbox version "
        "removed"),
    ("ingest: attachment upload", "professional's PDF in a conversation"): Minimum(
        ("GetItem messaging", "GetObject documents", "UpdateItem messaging"),
        "the pending attachment, the first 4 KB, its state written (conditional)"),
    # -- jobs ----------------------------------------------------------------------------------------------------------
    ("job: opt-out-expiry", "2 accounts due (spaces created, notices sent)"): Minimum(
        n(2 * SHARDS, "Query accounts/due") + 2 * ("GetItem accounts", "PutItem accounts", "UpdateItem records",
                                                    "GetItem accounts", "PutItem accounts", NOTICE,
                                                    "PutItem accounts"),
        f"a Query per shard for each of the two kinds (window ended, notice pending) = {2 * SHARDS} whatever "
        "the table size; per account: read, versioned write (opened, notice pending), first reminder scheduled; "
        "then the notice claimed (read, versioned write: one run sends it however many race), sent, and settled (a "
        "versioned write on the version the claim wrote)",
        "per account, settling the notice reads the account again (`LifecycleService._update` always reads) "
        "although the claim's write left its version in hand"),
    ("job: opt-out-expiry", "nothing due"): Minimum(
        n(2 * SHARDS, "Query accounts/due"), "a Query per shard and kind, each reading nothing"),
    ("job: reminders", "1 space with 1 reminder due"): Minimum(
        (*n(SHARDS, "Query records/due"), "PutItem waves", "SendMessageBatch job-units", "UpdateItem waves",
         "UpdateItem waves", "GetItem accounts", "UpdateItem records", NOTICE, "UpdateItem records",
         "TransactWriteItems waves"),
        "fanned out: the dispatcher's Query per shard, the run recorded before its first unit, its unit sent, "
        "its unit count written; the worker's claim of the unit; the space (live, birth date, contact); the "
        "reminder claimed (conditional: sent once), the notice, the next date (conditional); the unit completed "
        "with the run's counters in one transaction",
        "reads the REMINDERS item again although the index Query returned it (projection ALL) and both writes "
        "are conditional"),
    ("job: archive-purge", "1 closed space due, with 1 document"): Minimum(
        (*n(SHARDS, "Query accounts/due"), "GetItem accounts", "PutItem accounts", "Query messaging",
         *n(7, "Query records"), "ListObjectVersions documents", "DeleteObjects documents",
         *n(3, "BatchWriteItem records"), "Query audit", "Query accounts", "DeleteItem accounts"),
        "a Query per shard; the account, marked purging (versioned: a crash resumes); the conversations; in the "
        "records partition, each capability erases what it owns, explicitly (`Container.erasers`): a Query per key "
        "prefix it owns (documents DOC# and INBOX#, care VAC#, MEAS#, LATEST#, agenda APPT#, reimbursements "
        "REIMB#; PROFILE and REMINDERS are deleted by key, unread) and one batched delete per capability with "
        "something to delete (3 here); the documents' objects: every version listed and deleted; the access log "
        "(empty here); the accounts partition, the account deleted last",
        "Queries the documents (DOC#) twice, for their objects then for their items, and reads the account again "
        "before deleting it (for the legal representative's link); the listing and the account already read "
        "would do"),
}
