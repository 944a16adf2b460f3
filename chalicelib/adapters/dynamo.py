"""Small helpers over the DynamoDB client: typed (de)serialisation, paginated Query, batch reads and deletes.

Only Query, GetItem, BatchGetItem and writes: no Scan anywhere in ens.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from chalicelib.errors import MalformedRequest

_serializer: Any = None
_deserializer: Any = None


def _codecs() -> tuple[Any, Any]:
    global _serializer, _deserializer
    if _serializer is None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        _serializer, _deserializer = TypeSerializer(), TypeDeserializer()
    return _serializer, _deserializer


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_from_dynamo(v) for v in value]
    return value


def dump(item: dict[str, Any]) -> dict[str, Any]:
    """Python dict → DynamoDB attribute map (None values dropped, floats as Decimal)."""
    serializer, _ = _codecs()
    return {k: serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def load(item: dict[str, Any]) -> dict[str, Any]:
    _, deserializer = _codecs()
    return {k: _from_dynamo(deserializer.deserialize(v)) for k, v in item.items()}


def values(**kw: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(v=1) → {":v": {"N": "1"}}."""
    serializer, _ = _codecs()
    return {f":{k}": serializer.serialize(_to_dynamo(v)) for k, v in kw.items()}


def key(pk: str, sk: str | None = None) -> dict[str, Any]:
    out = {"pk": {"S": pk}}
    if sk is not None:
        out["sk"] = {"S": sk}
    return out


def is_conditional_failure(error: Exception) -> bool:
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


MAX_CURSOR = 2048  # characters of a cursor: far more than a key of ens needs, far less than a forged blob


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode().rstrip("=")


def _bad_cursor(detail: str = "is not a cursor this API returned") -> MalformedRequest:
    return MalformedRequest(f"The 'cursor' parameter {detail}: start again without it.", code="invalid_cursor")


def decode_cursor(cursor: str | None, pk: str, sk_prefix: str | None = None) -> dict[str, Any] | None:
    """The key a cursor we gave out stands for, checked whole: exactly a ``pk`` and an ``sk`` given as strings,
    the ``pk`` of this very listing and an ``sk`` within it. Anything else (another shape, another type, another
    listing's cursor) is refused with 400, never handed to DynamoDB."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise _bad_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise _bad_cursor() from error
    if not isinstance(decoded, dict) or set(decoded) != {"pk", "sk"}:
        raise _bad_cursor()
    values_ = {}
    for name, attribute in decoded.items():
        if not isinstance(attribute, dict) or set(attribute) != {"S"} or not isinstance(attribute["S"], str) \
                or not attribute["S"]:
            raise _bad_cursor()
        values_[name] = attribute["S"]
    if values_["pk"] != pk or (sk_prefix is not None and not values_["sk"].startswith(sk_prefix)):
        raise _bad_cursor("belongs to another listing")
    return {"pk": {"S": values_["pk"]}, "sk": {"S": values_["sk"]}}


class Table:
    """One table, through an injected client."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def get(self, pk: str, sk: str | None = None, consistent: bool = True) -> dict[str, Any] | None:
        answer = self.client.get_item(TableName=self.name, Key=key(pk, sk), ConsistentRead=consistent)
        return load(answer["Item"]) if "Item" in answer else None

    def batch_get(self, keys: Iterable[tuple[str, str | None]]) -> list[dict[str, Any]]:
        """BatchGetItem (100 keys a call), retrying unprocessed keys."""
        wanted = [key(pk, sk) for pk, sk in dict.fromkeys(keys)]
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), 100):
            request = {self.name: {"Keys": wanted[start:start + 100], "ConsistentRead": True}}
            for _ in range(8):
                answer = self.client.batch_get_item(RequestItems=request)
                found.extend(load(i) for i in answer.get("Responses", {}).get(self.name, []))
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def query(self, pk: str, *, sk_prefix: str | None = None, index: str | None = None, pk_name: str = "pk",
              sk_condition: str | None = None, expression_values: dict[str, Any] | None = None,
              forward: bool = True, limit: int | None = None, start: dict[str, Any] | None = None,
              consistent: bool = False) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query page: (items, last evaluated key)."""
        condition = f"{pk_name} = :pk"
        vals = values(pk=pk)
        if sk_prefix is not None:
            condition += " AND begins_with(sk, :prefix)"
            vals.update(values(prefix=sk_prefix))
        if sk_condition:
            condition += f" AND {sk_condition}"
        vals.update(expression_values or {})
        kwargs: dict[str, Any] = {"TableName": self.name, "KeyConditionExpression": condition,
                                  "ExpressionAttributeValues": vals, "ScanIndexForward": forward}
        if index:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        if limit:
            kwargs["Limit"] = limit
        if start:
            kwargs["ExclusiveStartKey"] = start  # a LastEvaluatedKey of this very query (query_all)
        answer = self.client.query(**kwargs)
        return [load(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")

    def page(self, pk: str, limit: int, cursor: str | None, *, accept: Any = None, sk_prefix: str | None = None,
             filter_expression: str | None = None, filter_values: dict[str, Any] | None = None,
             forward: bool = False, names: dict[str, str] | None = None,
             sk_between: tuple[str, str] | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a listing: up to ``limit`` items of partition ``pk`` that pass the filter expression and
        ``accept(item)``, newest first by default. The cursor is the key of the last item returned, so items
        left out by ``accept`` are never skipped on the next page. ``sk_between`` (both within ``sk_prefix``)
        narrows the Query itself to a range of sort keys (a time range of time-ordered keys)."""
        start = decode_cursor(cursor, pk, sk_prefix)
        found: list[dict[str, Any]] = []
        batch = min(max(limit * 2, 25), 500)
        while True:
            if sk_between:
                condition = "pk = :pk AND sk BETWEEN :sk_low AND :sk_high"
                vals = values(pk=pk, sk_low=sk_between[0], sk_high=sk_between[1])
            else:
                condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if sk_prefix else "")
                vals = values(pk=pk, **({"prefix": sk_prefix} if sk_prefix else {}))
            vals.update(filter_values or {})
            kwargs: dict[str, Any] = {"TableName": self.name, "KeyConditionExpression": condition,
                                      "ExpressionAttributeValues": vals, "ScanIndexForward": forward,
                                      "Limit": batch}
            if filter_expression:
                kwargs["FilterExpression"] = filter_expression
            if names:
                kwargs["ExpressionAttributeNames"] = names
            if start:
                kwargs["ExclusiveStartKey"] = start
            answer = self.client.query(**kwargs)
            for raw in answer.get("Items", []):
                item = load(raw)
                if accept is None or accept(item):
                    found.append(item)
                    if len(found) == limit:
                        last = {"pk": raw["pk"], "sk": raw["sk"]}
                        more = bool(answer.get("LastEvaluatedKey")) or raw is not answer["Items"][-1]
                        return found, encode_cursor(last) if more else None
            start = answer.get("LastEvaluatedKey")
            if not start:
                return found, None

    def query_all(self, pk: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        start = None
        while True:
            items, start = self.query(pk, start=start, **kwargs)
            yield from items
            if not start:
                return

    def put(self, item: dict[str, Any], condition: str | None = None,
            expression_values: dict[str, Any] | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": dump(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if expression_values:
            kwargs["ExpressionAttributeValues"] = expression_values
        self.client.put_item(**kwargs)

    def update(self, pk: str, sk: str | None, expression: str, names: dict[str, str] | None = None,
               expression_values: dict[str, Any] | None = None, condition: str | None = None,
               returns: str | None = None) -> dict[str, Any] | bool:
        """UpdateItem. With a ``condition``, False when it does not hold; with ``returns``, the item's
        attributes as they are after the update."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": key(pk, sk), "UpdateExpression": expression}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if expression_values:
            kwargs["ExpressionAttributeValues"] = expression_values
        if condition:
            kwargs["ConditionExpression"] = condition
        if returns:
            kwargs["ReturnValues"] = returns
        try:
            answer = self.client.update_item(**kwargs)
        except Exception as error:
            if condition and is_conditional_failure(error):
                return False
            raise
        return load(answer["Attributes"]) if returns and "Attributes" in answer else True

    def delete(self, pk: str, sk: str | None = None, condition: str | None = None,
               expression_values: dict[str, Any] | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": key(pk, sk)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if expression_values:
            kwargs["ExpressionAttributeValues"] = expression_values
        self.client.delete_item(**kwargs)

    def delete_keys(self, keys: Iterable[tuple[str, str | None]]) -> int:
        """BatchWriteItem deletes (25 a call), retrying unprocessed ones."""
        pending = [{"DeleteRequest": {"Key": key(pk, sk)}} for pk, sk in keys]
        count = len(pending)
        for start in range(0, len(pending), 25):
            request = {self.name: pending[start:start + 25]}
            for _ in range(8):
                answer = self.client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}
                if not request:
                    break
        return count

    def erase_prefixes(self, pk: str, prefixes: Iterable[str], exact: Iterable[str] = ()) -> int:
        """Delete every item of partition ``pk`` whose sort key starts with one of ``prefixes`` (a Query each) or is
        one of ``exact`` (deleted without being read), in batched deletes: what one repository owns in a partition
        it shares with others. Returns the number of deletions asked (an ``exact`` key that was absent counts)."""
        keys = [(i["pk"], i.get("sk")) for prefix in prefixes
                for i in self.query_all(pk, sk_prefix=prefix, consistent=True)]
        return self.delete_keys(keys + [(pk, sk) for sk in exact])

    def erase_partition(self, pk: str) -> int:
        """Delete every item of one partition (a Query, then batched deletes)."""
        keys = [(i["pk"], i.get("sk")) for i in self.query_all(pk, consistent=True)]
        return self.delete_keys(keys)
