"""Revocation under load: once the person's DELETE has answered, no request may be served.

Client threads fetch a record with the grant's token as fast as they can, noting when each
request was *sent*; the person revokes the grant through the API (session cookie). Requests sent
before the revoke answered may legitimately succeed (they raced it); every request sent after it
must be refused. The run goes on until at least `min_after` requests were sent after it.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RevocationResult:
    revoke_status: int
    served_before: int
    sent_after: int
    accepted_after: int
    refused_after_status: list[int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fetch_loop(
    port: int, path: str, token: str, stop: threading.Event, out: list[tuple[float, int]]
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        sent = time.monotonic()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()  # the server may close after an error answer: reconnect
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        out.append((sent, response.status))  # list.append is atomic under the GIL
    connection.close()


def revocation_under_load(
    port: int,
    *,
    token: str,
    record_id: str,
    grant_id: str,
    cookie: str,
    min_after: int = 1000,
    clients: int = 8,
    warmup: float = 1.0,
    timeout: float = 120.0,
) -> RevocationResult:
    results: list[tuple[float, int]] = []
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_fetch_loop,
            args=(port, f"/api/v1/records/{record_id}", token, stop, results),
            daemon=True,
        )
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    admin = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    admin.request("DELETE", f"/api/v1/me/grants/{grant_id}", headers={"Cookie": cookie})
    response = admin.getresponse()
    response.read()
    revoked = time.monotonic()  # the revoke has answered: from here on, nothing may be served
    admin.close()
    deadline = revoked + timeout
    while time.monotonic() < deadline:
        if sum(1 for sent, _ in list(results) if sent > revoked) >= min_after:
            break
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    after = [status for sent, status in results if sent > revoked]
    return RevocationResult(
        revoke_status=response.status,
        served_before=sum(1 for sent, status in results if sent <= revoked and status == 200),
        sent_after=len(after),
        accepted_after=sum(1 for status in after if status < 400),
        refused_after_status=sorted(set(after)),
    )
