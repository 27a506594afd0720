"""Request framing the service refuses before any route sees the request.

h11 frames a request that carries both `Transfer-Encoding: chunked` and `Content-Length` by the
chunks and ignores the length (RFC 9112 section 6.3). A proxy in front that believes the length
instead would see a different request boundary: the shape of request smuggling. RFC 9112 lets a
server reject such a request and requires it to close the connection afterwards; the service
does both, as nginx does since 1.21.1.
"""
from __future__ import annotations

from typing import Any

import h11


class AmbiguousFramingError(h11.RemoteProtocolError):
    """A request with both Transfer-Encoding and Content-Length."""


class FramedConnection(h11.Connection):
    """h11's server connection, raising AmbiguousFramingError on a request framed two ways."""

    refused: str | None = None

    def next_event(self) -> Any:
        event = super().next_event()
        if isinstance(event, h11.Request) and _framed_twice(event.headers):
            self.refused = ("the request has both Transfer-Encoding and Content-Length; "
                            "send one of them")
            raise AmbiguousFramingError(self.refused, error_status_hint=400)
        return event


def _framed_twice(headers: Any) -> bool:
    names = {name.lower() for name, _ in headers}
    return b"transfer-encoding" in names and b"content-length" in names
