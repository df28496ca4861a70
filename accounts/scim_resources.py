"""The SCIM 2.0 resources Coachline serves (RFC 7643), as scim2-models pydantic models, and the
one description of the service (its schemas, resource types and capabilities).

The models keep the core User and Group schema URNs but declare only the attributes Coachline
stores, so /Schemas tells a provisioning client exactly what round-trips, and a body carrying
any other attribute is refused (scim2-models forbids unknown attributes).
"""

from typing import Annotated, Any

from pydantic import EmailStr, Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    CaseExact,
    ComplexAttribute,
    Mutability,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimProvider,
    ServiceProviderConfig,
    Uniqueness,
)
from scim2_models.resources.service_provider_config import (
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Pagination,
    Patch,
    Sort,
)

MAX_RESULTS = 200
DEFAULT_PAGE_SIZE = 100


class Name(ComplexAttribute):
    formatted: str | None = None
    """The full name, as it is displayed."""

    family_name: str | None = None
    """The family name."""

    given_name: str | None = None
    """The given name."""


class Email(ComplexAttribute):
    value: Annotated[EmailStr | None, Required.true] = None
    """The address."""

    type: str | None = Field(None, examples=["work", "home", "other"])
    """A label: work, home or other."""

    primary: bool | None = None
    """Whether this is the address Coachline signs the person in and writes to with."""


class GroupMembership(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    """The id of the person's team."""

    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The team's URL."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The team's name."""


class User(Resource[Any]):
    """A person. `userName` is unique (case-insensitive); the primary email (or an email-shaped
    userName) is the address the person signs in with."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Unique identifier for the person, typically their work email address."""

    name: Name | None = None
    """The components of the person's name."""

    display_name: str | None = None
    """The name shown in Coachline."""

    emails: Annotated[list[Email] | None, Required.true] = None
    """Email addresses; the primary one is the person's Coachline address (required: Coachline
    signs people in and writes to them by email)."""

    active: bool | None = None
    """False deactivates the person: sign-in refused, sessions and their API keys ended, their
    history kept for ROI."""

    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    """The person's team (Coachline gives each person at most one)."""


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The member's id."""

    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The member's URL."""

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always User: teams do not nest."""

    display: Annotated[str | None, Mutability.read_only] = None
    """The member's name (Coachline's)."""


class Group(Resource[Any]):
    """A Coachline team. Adding a person moves them into this team (each person has one)."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The team's name."""

    members: list[GroupMember] | None = None
    """The people in the team."""


def _config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        pagination=Pagination(
            cursor=False,
            index=True,
            default_pagination_method=Pagination.DefaultPaginationMethod.index,
            default_page_size=DEFAULT_PAGE_SIZE,
            max_page_size=MAX_RESULTS,
        ),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer API key",
                description="A Coachline API key with the scim scope, as a bearer token.",
                primary=True,
            )
        ],
    )


USER_TYPE = ResourceType.from_resource(User)
GROUP_TYPE = ResourceType.from_resource(Group)

PROVIDER = ScimProvider(
    models=[User, Group], resource_types=[USER_TYPE, GROUP_TYPE], config=_config()
)
