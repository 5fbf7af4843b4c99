"""Service-level endpoints: health."""

from __future__ import annotations

from celery import current_app
from django.db import connection
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.response import Response

from vpp.models import Heartbeat
from vpp.permissions import IsOrganizationMember, organization_of


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - health reports any failure as "down"
        return False


def _broker_ok() -> bool:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


_Health = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "degraded"]),
        "organization": serializers.CharField(),
        "user": serializers.CharField(),
        "database": inline_serializer(
            "HealthDatabase", {"ok": serializers.BooleanField(), "vendor": serializers.CharField()}
        ),
        "broker": inline_serializer(
            "HealthBroker", {"ok": serializers.BooleanField(), "transport": serializers.CharField()}
        ),
        "worker_heartbeat_age_s": serializers.FloatField(allow_null=True),
    },
)


@extend_schema(
    summary="Service health, as the caller's organisation sees it", responses={200: _Health, 503: _Health}
)
@api_view(["GET", "HEAD"])  # HEAD too: what load balancers' health checks send
@permission_classes([IsOrganizationMember])
def health(request):
    beat = Heartbeat.objects.filter(name="worker").first()
    age = (timezone.now() - beat.beat_at).total_seconds() if beat else None
    db_ok, broker_ok = _database_ok(), _broker_ok()
    org = organization_of(request.user)
    return Response(
        {
            "status": "ok" if db_ok and broker_ok else "degraded",
            "organization": org.name,
            "user": request.user.get_username(),
            "database": {"ok": db_ok, "vendor": connection.vendor},
            "broker": {"ok": broker_ok, "transport": current_app.connection_for_write().transport_cls},
            "worker_heartbeat_age_s": age,
        },
        status=200 if db_ok and broker_ok else 503,
    )
