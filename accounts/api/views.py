from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import (
    admins_only,
    anyone,
    principal_may_grant_privileged_roles,
    user_get_visible,
)
from accounts.api.serializers import UserBulkRowSerializer, UserOutputSerializer
from accounts.models import Scope, User
from accounts.permissions import ScopeOrRule, request_principal
from accounts.selectors import user_list
from accounts.services import user_bulk_upsert
from core.api.bulk import BulkResultSerializer, bulk_rows
from core.api.idempotency import idempotent_create


class UserListApi(generics.ListAPIView[User]):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.USERS_READ
    person_rule = staticmethod(anyone)
    serializer_class = UserOutputSerializer
    filterset_fields = ["role", "team__name", "is_active"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return user_list(principal=request_principal(self.request))


class UserDetailApi(generics.RetrieveAPIView[User]):
    permission_classes = [ScopeOrRule]
    required_scope = Scope.USERS_READ
    person_rule = staticmethod(anyone)
    serializer_class = UserOutputSerializer

    def get_object(self) -> User:
        return user_get_visible(request_principal(self.request), user_id=self.kwargs["pk"])


class UserBulkApi(APIView):
    """Upsert people by email. Rows that fail are listed; the others land. At most
    BULK_SYNC_MAX_ROWS rows per request (413 above). Granting or removing the admin or leader
    role needs a signed-in admin or a key with `users:admin`; other callers get a row error."""

    permission_classes = [ScopeOrRule]
    required_scope = Scope.USERS_WRITE
    person_rule = staticmethod(admins_only)

    @extend_schema(
        operation_id="users_bulk_upsert",
        request=UserBulkRowSerializer(many=True),
        responses={
            200: BulkResultSerializer,
            413: OpenApiResponse(description="more than BULK_SYNC_MAX_ROWS rows"),
        },
    )
    @idempotent_create
    def post(self, request: Request) -> Response:
        result = user_bulk_upsert(
            rows=bulk_rows(request, max_rows=settings.BULK_SYNC_MAX_ROWS),
            may_grant_privileged_roles=principal_may_grant_privileged_roles(
                request_principal(request)
            ),
        )
        return Response(result.as_dict())
