"""The request mix the HTTP client scenarios share, so httpx, requests, urllib3 and the
others are measured on the same traffic: even operations GET a list with a query string,
odd ones POST a JSON order of about 3 KB (18 lines and two addresses), all with the
dozen headers a service client sends (a JWT-sized bearer token, tenant, correlation ids)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

# A bearer token of a JWT's usual size (header, claims, signature): header values are on the hot path.
TOKEN = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
         + "eyJzdWIiOiJzZXJ2aWNlLW9yZGVycyIsInNjb3BlIjoiaXRlbXM6cmVhZCBvcmRlcnM6d3JpdGUifQ" * 3 + ".c2lnbmF0dXJl" * 8)
HEADERS = {
    "Accept": "application/json",
    "Accept-Encoding": "gzip, deflate",
    "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": "orders-service/4.12.1 (otelaudit-scenario) python-client",
    "Authorization": f"Bearer {TOKEN}",
    "Cache-Control": "no-cache",
    "X-Api-Version": "2024-06-01",
    "X-Client-Id": "orders-service",
    "X-Tenant": "tenant-eu-west-1-acme",
}


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    headers: Dict[str, str]
    query: Optional[Dict[str, str]] = None
    body: Optional[Dict[str, Any]] = None


def order_body(n: int) -> Dict[str, Any]:
    """The n-th order a client POSTs (about 3 KB of JSON), shared with the web-server mix."""
    lines = [{"sku": f"SKU-{(n + i) % 1000:04d}", "name": f"article {i} of order {n}", "quantity": 1 + i % 3,
              "unit_price": round(9.99 + i * 1.25, 2), "options": {"gift_wrap": i % 4 == 0, "colour": "blue"}}
             for i in range(18)]
    address = {"name": "A. Customer", "street": "1 Example Road", "city": "Exampleton", "postcode": "EX1 2MP",
               "country": "GB", "phone": "+44 20 7946 0000"}
    return {"item_id": n % 100, "quantity": 2, "note": "gift wrap", "customer_id": f"cust-{n % 997}",
            "currency": "EUR", "lines": lines, "shipping": address, "billing": address,
            "metadata": {"channel": "web", "campaign": "autumn-sale", "client_order_ref": f"ref-{n:08d}"}}


def api_request(n: int) -> ApiRequest:
    """The n-th request of the mix; `headers` carries only what varies per request."""
    headers = {"X-Request-Id": f"req-{n}", "X-Correlation-Id": f"corr-{n // 3:08x}"}
    if n % 2:
        return ApiRequest("POST", "/api/orders", headers, body=order_body(n))
    return ApiRequest("GET", "/api/items", headers, query={"page": str(n % 10), "per_page": "20", "sort": "-created"})
