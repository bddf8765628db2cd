"""Every change to the service desk's records: intake, routing, the workflow, duplicates, keys.

Each function runs in one transaction, locks the report it changes, writes the audit row, keeps the
monthly roll-ups (`requests.received`, `requests.resolved`, `requests.resolved_in_time`, keyed by
service code) in step, and sends messages only after commit. The package is split by topic;
callers import it whole: `from jaga.servicedesk import services`.
"""

from __future__ import annotations

from jaga.servicedesk.services.common import (
    ACTING_ROLES,
    MAX_DESCRIPTION,
    STAFF_CHANNELS,
    SYSTEM,
    record_change,
)
from jaga.servicedesk.services.intake import (
    Routing,
    clean_answers,
    find_village,
    idempotency_hash,
    route,
    submit_request,
    village_from_address,
)
from jaga.servicedesk.services.keys import (
    create_open311_client,
    open311_client_for_key,
    revoke_open311_client,
)
from jaga.servicedesk.services.moderation import (
    moderate_request,
    personal_data_in,
    propose_public_text,
)
from jaga.servicedesk.services.tracking import (
    TrackingCodeRequired,
    check_tracking_code,
    hash_tracking_code,
    holds_key,
    is_reporter,
    issue_tracking_code,
    new_tracking_code,
    normalise_code,
    require_tracking_code,
    send_missing_tracking_codes,
    tracking_link,
    tracking_path,
)
from jaga.servicedesk.services.workflow import (
    add_reporter_note,
    add_update,
    allowed_transitions,
    can_verify,
    close_expired_resolved,
    mark_duplicate,
    move_request,
    reassign_request,
    remind_overdue,
    set_photo_public,
    transition_request,
    verify_request,
)

__all__ = [
    "move_to_successor",
    "village_ended",
    "ACTING_ROLES",
    "MAX_DESCRIPTION",
    "STAFF_CHANNELS",
    "SYSTEM",
    "Routing",
    "TrackingCodeRequired",
    "check_tracking_code",
    "hash_tracking_code",
    "holds_key",
    "is_reporter",
    "issue_tracking_code",
    "moderate_request",
    "new_tracking_code",
    "normalise_code",
    "personal_data_in",
    "propose_public_text",
    "require_tracking_code",
    "send_missing_tracking_codes",
    "tracking_link",
    "tracking_path",
    "add_reporter_note",
    "add_update",
    "allowed_transitions",
    "can_verify",
    "clean_answers",
    "close_expired_resolved",
    "create_open311_client",
    "find_village",
    "idempotency_hash",
    "mark_duplicate",
    "move_request",
    "open311_client_for_key",
    "reassign_request",
    "record_change",
    "remind_overdue",
    "revoke_open311_client",
    "route",
    "set_photo_public",
    "submit_request",
    "transition_request",
    "verify_request",
    "village_from_address",
]

from jaga.servicedesk.services.bulk import (  # noqa: E402
    BULK_STATUSES,
    bulk_move,
    clean_filter_params,
    delete_filter,
    save_filter,
    visible_filters,
)
from jaga.servicedesk.services.villages import move_to_successor, village_ended  # noqa: E402

__all__ += [
    "BULK_STATUSES",
    "bulk_move",
    "clean_filter_params",
    "delete_filter",
    "save_filter",
    "visible_filters",
]
