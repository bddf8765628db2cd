"""The reporter's private tracking code: the only key to a report's notes and to writing as its
reporter. The ticket code is public (Open311 lists it); the tracking code is given once to the
submitter and only its hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from jaga.core.audit import log_action
from jaga.core.codes import ALPHABET, random_code
from jaga.core.errors import DomainError
from jaga.core.links import absolute_url
from jaga.core.types import Actor
from jaga.servicedesk import notify
from jaga.servicedesk.models import ServiceRequest
from jaga.servicedesk.services.common import check_actor, lock_request

# 16 characters of a 31-letter alphabet: about 79 bits, readable over the phone.
CODE_LENGTH = 16


def new_tracking_code() -> str:
    return random_code(CODE_LENGTH)


def normalise_code(code: str) -> str:
    """What the reporter typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def hash_tracking_code(ticket: str, code: str) -> str:
    # The ticket is mixed in so that a code is only ever the key of its own report.
    return hashlib.sha256(f"{ticket}:{normalise_code(code)}".encode()).hexdigest()


def check_tracking_code(request: ServiceRequest, code: str) -> bool:
    """Does `code` open this report? Constant-time; an empty code or stored hash opens nothing."""
    code = normalise_code(code)
    if not request.secret_hash or len(code) != CODE_LENGTH or set(code) - set(ALPHABET):
        # Still hash, so that a wrong code and a malformed one take the same time.
        hmac.compare_digest(request.secret_hash or "-", hash_tracking_code(request.ticket, code))
        return False
    return hmac.compare_digest(request.secret_hash, hash_tracking_code(request.ticket, code))


def is_reporter(request: ServiceRequest, user: Actor) -> bool:
    """The logged-in account that filed the report (a resident's account sees its own reports)."""
    return (
        user is not None
        and user.is_authenticated
        and request.reporter_user_id is not None
        and request.reporter_user_id == user.pk
    )


def holds_key(
    request: ServiceRequest, *, code: str = "", user: Actor = None, key_hash: str = ""
) -> bool:
    """May this caller read the report's private notes and write as its reporter?

    Yes with the tracking code (`code`), with the hash a browser session kept after the code was
    shown (`key_hash`; a new code invalidates it), or as the reporter's own account (`user`).
    """
    if is_reporter(request, user):
        return True
    if key_hash:
        return bool(request.secret_hash) and hmac.compare_digest(request.secret_hash, key_hash)
    return check_tracking_code(request, code)


def tracking_path(request: ServiceRequest, code: str) -> str:
    return reverse("servicedesk:track_code", args=[request.ticket, normalise_code(code)])


def tracking_link(request: ServiceRequest, code: str) -> str:
    return absolute_url(tracking_path(request, code))


def issue_tracking_code(request: ServiceRequest, *, actor: Actor) -> str:
    """Give the reporter a new tracking code (the old one stops working); staff only.

    For a reporter who lost the code, or a report from before tracking codes existed. The desk
    checks who is asking before reading the new code out; it is also sent to the reporter's own
    phone or email when the report has one.
    """
    check_actor(request, actor)
    code = new_tracking_code()
    with transaction.atomic():
        locked = lock_request(request)
        had = bool(locked.secret_hash)
        locked.secret_hash = hash_tracking_code(locked.ticket, code)
        locked.save(update_fields=["secret_hash"])
        log_action(
            "servicedesk.tracking_code_issued",
            locked,
            actor=actor,
            before={"tracking_code": "***" if had else ""},
            after={"tracking_code": "***"},
            territory_code=locked.village.code,
        )
        if locked.phone or locked.email:
            link = tracking_link(locked, code)
            transaction.on_commit(lambda: notify.notify_tracking_code(locked, code, link))
    request.secret_hash = locked.secret_hash
    return code


class TrackingCodeRequired(DomainError):
    status = 403


def send_missing_tracking_codes() -> int:
    """Give every open report without a tracking code (filed before codes existed) a new one,
    sent to the reporter's own phone or email; reports without a contact are left for the desk.
    Returns how many reporters were sent a code. Run once after upgrading (`jaga servicedesk
    send-tracking-codes`)."""
    sent = 0
    candidates = (
        ServiceRequest.objects.open()
        .filter(secret_hash="")
        .exclude(phone="", email="")
        .select_related("service", "village")
    )
    for request in candidates.iterator():
        code = new_tracking_code()
        with transaction.atomic():
            locked = lock_request(request)
            if locked.secret_hash:
                continue
            locked.secret_hash = hash_tracking_code(locked.ticket, code)
            locked.save(update_fields=["secret_hash"])
            log_action(
                "servicedesk.tracking_code_issued",
                locked,
                after={"tracking_code": "***"},
                territory_code=locked.village.code,
            )
            link = tracking_link(locked, code)
            transaction.on_commit(
                lambda r=locked, c=code, li=link: notify.notify_tracking_code(r, c, li)  # type: ignore[misc]
            )
        sent += 1
    return sent


def require_tracking_code(
    request: ServiceRequest, code: str = "", *, user: Actor = None, key_hash: str = ""
) -> None:
    if not holds_key(request, code=code, user=user, key_hash=key_hash):
        raise TrackingCodeRequired(
            "tracking_code",
            _("This needs the report's tracking code, which only its reporter received."),
        )
