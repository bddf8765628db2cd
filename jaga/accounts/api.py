from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Router, Schema, Status

from jaga.accounts import services
from jaga.accounts.access import SIGNED_IN, active_postings, allow, roles_of, scope_codes

router = Router(tags=["me"])


class PostingOut(Schema):
    role: str
    territory_code: str
    territory_name: str
    unit: str | None
    valid_from: datetime.date
    valid_to: datetime.date | None


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    scope: list[str]
    postings: list[PostingOut]


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class TokenCreated(TokenOut):
    token: str


@router.get("/me", response=MeOut, summary=gettext_lazy("Who I am, my roles and my scope"))
@allow(*SIGNED_IN)
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.get_username(),
        full_name=getattr(user, "full_name", ""),
        roles=sorted(roles_of(user)),
        scope=scope_codes(user),
        postings=[
            PostingOut(
                role=p.role,
                territory_code=p.territory.code,
                territory_name=p.territory.name,
                unit=p.unit.name if p.unit else None,
                valid_from=p.valid_from,
                valid_to=p.valid_to,
            )
            for p in active_postings(user)
        ],
    )


@router.get("/me/tokens", response=list[TokenOut], summary=gettext_lazy("My API tokens"))
@allow(*SIGNED_IN)
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in request.user.api_tokens.all()]  # type: ignore[union-attr]


@router.post(
    "/me/tokens", response={201: TokenCreated}, summary=gettext_lazy("Create an API token")
)
@allow(*SIGNED_IN)
def create_token(request: HttpRequest, data: TokenIn) -> Status[TokenCreated]:
    token, raw = services.create_api_token(request.user, data.name, actor=request.user)  # type: ignore[arg-type]
    return Status(201, TokenCreated(**TokenOut.model_validate(token).model_dump(), token=raw))


@router.delete(
    "/me/tokens/{token_id}", response=TokenOut, summary=gettext_lazy("Revoke an API token")
)
@allow(*SIGNED_IN)
def revoke_token(request: HttpRequest, token_id: int) -> TokenOut:
    token = services.revoke_api_token(request.user, token_id, actor=request.user)  # type: ignore[arg-type]
    return TokenOut.model_validate(token)
