"""The request mix the HTTP client scenarios share, so httpx, requests and urllib3 are
measured on the same traffic: even operations GET a list with a query string, odd ones
POST a JSON order, all with the headers a service client sends and a request id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional

HEADERS = {
    "Accept": "application/json",
    "User-Agent": "otelaudit-scenario/1.0",
    "Authorization": "Bearer 0123456789abcdef",
}


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    headers: Dict[str, str]
    query: Optional[Dict[str, str]] = None
    body: Optional[Dict[str, object]] = None


def api_request(n: int) -> ApiRequest:
    """The n-th request of the mix; `headers` carries only what varies per request."""
    headers = {"X-Request-Id": f"req-{n}"}
    if n % 2:
        return ApiRequest("POST", "/api/orders", headers, body={"item_id": n % 100, "quantity": 2, "note": "gift wrap"})
    return ApiRequest("GET", "/api/items", headers, query={"page": str(n % 10), "per_page": "20", "sort": "-created"})
