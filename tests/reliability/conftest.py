"""One real local stack (moto server, worker, API on free loopback ports) for the reliability tests that need
one: the short Schemathesis run and the load smoke run. Started on first use, stopped with Ctrl-C at the end."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


@pytest.fixture(scope="session")
def local_stack():
    from stackrun import LocalStack

    stack = LocalStack()
    with stack:
        yield stack


# -- fault injection ----------------------------------------------------------------------------------------------
ERROR_STATUS = {"ProvisionedThroughputExceededException": 400, "ThrottlingException": 400,
                "InternalServerError": 500,
                "ConditionalCheckFailedException": 400, "TransactionCanceledException": 400,
                "InternalError": 500, "SlowDown": 503, "ServiceUnavailable": 503}


class Faults:
    """Makes AWS calls of the app's own boto3 clients fail, through botocore's event hooks.

    * :meth:`fail` raises the ClientError from ``before-parameter-build.<service>.<Operation>`` (``when`` sees the
      call's parameters): what the client raises once its retries are spent (no retry happens: the call never
      reaches the HTTP layer);
    * :meth:`fail_http` makes moto answer the HTTP request with the error (nothing applied): the client's
      standard retry mode sees it and retries, exactly as against AWS.
    """

    def __init__(self, clients):
        self.clients = clients
        self.hooks = []
        self.restore = []
        self.injected = 0

    def _client(self, service):
        client = self.clients(service)
        return client, client.meta.service_model.service_id.hyphenize()

    def fail(self, service, operation, code, times=1, skip=0, when=None):
        from botocore.exceptions import ClientError

        client, service_id = self._client(service)
        state = {"seen": 0, "left": times}

        def handler(params, **_):  # the operation's API parameters
            if when is not None and not when(params):
                return None
            state["seen"] += 1
            if state["seen"] <= skip or state["left"] <= 0:
                return None
            state["left"] -= 1
            self.injected += 1
            error = {"Error": {"Code": code, "Message": f"injected {code}"},
                     "ResponseMetadata": {"HTTPStatusCode": ERROR_STATUS.get(code, 500)}}
            if code == "TransactionCanceledException":
                error["CancellationReasons"] = [{"Code": "ConditionalCheckFailed"}]
            raise ClientError(error, operation)

        event = f"before-parameter-build.{service_id}.{operation}"
        client.meta.events.register(event, handler)
        self.hooks.append((client, event, handler))
        return state

    def fail_http(self, service, operation, code, times=1):
        """DynamoDB answers the HTTP request with the error (moto's request hook): the SDK's retries see it."""
        import json

        import moto.core.models as moto_models

        assert service == "dynamodb"
        stubber = moto_models.botocore_stubber
        original = stubber.process_request
        state = {"left": times}

        def process_request(request):
            target = request.headers.get("X-Amz-Target", b"")
            target = target.decode() if isinstance(target, bytes) else target
            if state["left"] > 0 and target.endswith(f".{operation}"):
                state["left"] -= 1
                self.injected += 1
                body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                   "message": f"injected {code}"})
                return ERROR_STATUS.get(code, 500), {"Content-Type": "application/x-amz-json-1.0"}, body
            return original(request)

        stubber.process_request = process_request
        self.restore.append(lambda: setattr(stubber, "process_request", original))
        return state

    def clear(self):
        for client, event, handler in self.hooks:
            client.meta.events.unregister(event, handler)
        self.hooks.clear()
        while self.restore:
            self.restore.pop()()


@pytest.fixture
def faults(api):
    injector = Faults(api.container.clients)
    yield injector
    injector.clear()
