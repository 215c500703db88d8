"""The Django project of the django scenario: settings and URLconf in one module, named by
`DJANGO_SETTINGS_MODULE` so the instrumentor finds configured settings when it adds its
middleware. Imported only by Django inside a measuring child."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from django.http import HttpRequest, JsonResponse
from django.urls import path

from otelaudit.scenarios.web import item, order

SECRET_KEY = "otelaudit-scenario-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
USE_TZ = True
INSTALLED_APPS: List[str] = []
DATABASES: Dict[str, Any] = {}
# The usual stack minus sessions/auth, which would need a database.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def get_item(request: HttpRequest, item_id: int) -> JsonResponse:
    return JsonResponse(item(item_id, request.GET.get("fields", "id")))


def create_order(request: HttpRequest) -> Any:
    if request.method != "POST":
        return JsonResponse({"error": "method not allowed"}, status=405)
    return JsonResponse(order(json.loads(request.body)), status=201)


urlpatterns = [
    path("api/items/<int:item_id>", get_item),
    path("api/orders", create_order),
]
