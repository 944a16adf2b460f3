"""boto3 clients, built lazily (first use, not import) and shared by the process.

Adapters receive a :class:`Clients` so that tests can hand them clients of their own. boto3 is imported on the
first client built, keeping it off the cold-start path of handlers that never touch AWS.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.config import Settings


class Clients:
    """A lazy, thread-safe cache of boto3 clients for one set of settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None

    def __call__(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            with self._lock:
                client = self._clients.get(service)
                if client is None:
                    client = self._clients[service] = self._build(service)
        return client

    def _build(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        if self._session is None:
            self._session = boto3.session.Session()
        config = Config(
            region_name=self.settings.region,
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=3,
            read_timeout=10,
            s3={"addressing_style": "path"} if self.settings.aws_endpoint_url else {},
            signature_version="s3v4" if service == "s3" else None,
            max_pool_connections=32,
        )
        kwargs: dict[str, Any] = {"config": config}
        if self.settings.aws_endpoint_url:
            kwargs["endpoint_url"] = self.settings.aws_endpoint_url
        return self._session.client(service, **kwargs)
