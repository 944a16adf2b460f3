"""Secure messaging (CONTRACT §6): professionals and establishments write to patients, who reply while the
conversation is open; attachments from the record or new files; the patient files a received file into the record."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import PAGING, Call, paging, route
from chalicelib.bootstrap import container
from chalicelib.domain.access import Action

bp = Blueprint(__name__)
TAG = "Messaging"
M = "chalicelib.models.messaging:"
A = "chalicelib.models.answers.messaging:"


@route(bp, "/conversations", "POST", tag=TAG, action=Action.START_CONVERSATION, body=M + "ConversationStart",
       response=A + "Posted", status=201, errors=(400, 403, 404, 422),
       summary="A professional or an establishment writes to a patient whose space is open or active; the patient "
               "gets new_message (without the content). Grants no access to the record.")
def start_conversation(call: Call) -> Any:
    return container().messaging.start(call.caller, call.body)


@route(bp, "/conversations", "GET", tag=TAG, action=Action.LIST_CONVERSATIONS, response=A + "ConversationPage",
       query=PAGING, errors=(400, 403, 422), summary="The caller's own conversations, newest first.")
def list_conversations(call: Call) -> Any:
    limit, cursor = paging(call)
    return container().messaging.listing(call.caller, limit, cursor)


@route(bp, "/conversations/{conversation_id}", "GET", tag=TAG, action=Action.READ_CONVERSATION,
       response=A + "ConversationDetail", query=PAGING, errors=(400, 403, 404, 422),
       summary="A conversation (participants only) and its messages, oldest first.")
def get_conversation(call: Call, conversation_id: str) -> Any:
    limit, cursor = paging(call)
    return container().messaging.get(call.caller, conversation_id, limit, cursor)


@route(bp, "/conversations/{conversation_id}/messages", "POST", tag=TAG, action=Action.POST_MESSAGE,
       body=M + "MessageCreate", response=A + "Posted", status=201, errors=(400, 403, 404, 409, 422, 503),
       summary="Write in an open conversation (the patient replies; 409 once it is closed).")
def post_message(call: Call, conversation_id: str) -> Any:
    return container().messaging.post(call.caller, conversation_id, call.body)


@route(bp, "/conversations/{conversation_id}/close", "POST", tag=TAG, action=Action.CLOSE_CONVERSATION,
       response=A + "ConversationStatus", errors=(403, 404, 503),
       summary="The professional or establishment who started the conversation ends the exchange.")
def close_conversation(call: Call, conversation_id: str) -> Any:
    return container().messaging.close(call.caller, conversation_id)


@route(bp, "/conversations/{conversation_id}/reopen", "POST", tag=TAG, action=Action.CLOSE_CONVERSATION,
       response=A + "ConversationStatus", errors=(403, 404, 503),
       summary="The professional or establishment who started the conversation opens it again.")
def reopen_conversation(call: Call, conversation_id: str) -> Any:
    return container().messaging.reopen(call.caller, conversation_id)


@route(bp, "/conversations/{conversation_id}/attachments/{attachment_id}", "GET", tag=TAG,
       action=Action.READ_ATTACHMENT, response=A + "AttachmentDetail", errors=(403, 404),
       summary="An attachment and a short-lived download URL; a record document only if the reader may see it.")
def get_attachment(call: Call, conversation_id: str, attachment_id: str) -> Any:
    return container().messaging.attachment(call.caller, conversation_id, attachment_id)


@route(bp, "/conversations/{conversation_id}/attachments/{attachment_id}/file", "POST", tag=TAG,
       action=Action.FILE_ATTACHMENT, body=M + "AttachmentFiling", response=A + "FiledDocument", status=201,
       errors=(400, 403, 404, 409, 422),
       summary="The patient files a file they received into their record, as a new document of theirs.")
def file_attachment(call: Call, conversation_id: str, attachment_id: str) -> Any:
    return container().messaging.file(call.caller, conversation_id, attachment_id, call.body)
