from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import admins_only
from accounts.models import Scope
from accounts.permissions import ScopeOrRule
from core.api.bulk import BulkResultSerializer, bulk_rows
from tools.api.serializers import ToolBulkRowSerializer
from tools.services import tools_upsert


class ToolBulkApi(APIView):
    """Create or update tools by name, each with its full list of seats. The bulk contract:
    counts, per-row errors, the good rows written whatever the bad ones hold; idempotent."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.TOOLS_WRITE
    person_rule = staticmethod(admins_only)

    @extend_schema(
        operation_id="tools_bulk_upsert",
        request=ToolBulkRowSerializer(many=True),
        responses={
            200: BulkResultSerializer,
            413: OpenApiResponse(description="more than BULK_SYNC_MAX_ROWS rows"),
        },
    )
    def post(self, request: Request) -> Response:
        result = tools_upsert(rows=bulk_rows(request, max_rows=settings.BULK_SYNC_MAX_ROWS))
        return Response(result.as_dict())
