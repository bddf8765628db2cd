"""Messages to assignees and reporters, sent after the transaction commits.

Email goes through Django's email backend; SMS / WhatsApp through the pluggable gateway
(`jaga.core.gateways.get_gateway()`, a logging gateway by default). A failing channel is logged and
never undoes the change that triggered it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from jaga.core.gateways import get_gateway

log = logging.getLogger("jaga.servicedesk")


def _send(email: str, phone: str, subject: str, text: str, channel: str = "") -> list[str]:
    sent = []
    if email:
        try:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [email])
            sent.append("email")
        except Exception:  # noqa: BLE001 - a mail outage must not lose the report
            log.exception("email notification failed")
    if phone:
        try:
            get_gateway(channel).send(phone, text)
            sent.append("message")
        except Exception:  # noqa: BLE001
            log.exception("gateway notification failed")
    return sent


def outside_name(service: Any) -> str:
    """A service's name in a text that leaves Jaga (e-mail, WhatsApp, SMS: a mail provider, a
    phone's lock screen): a sensitive service (domestic violence, pasung) is not named, and the
    officer opens the report in Jaga to read it.

    An incident category (an early-warning alarm's) follows the same rule: the category of a
    sensitive service, or one below it (`reports.public.sensitive_category_ids`), is not named."""
    from jaga.incidents.models import Category

    if isinstance(service, Category):
        from jaga.reports.public import sensitive_category_ids

        if service.pk in sensitive_category_ids():
            return _("A protected category")
        return str(service.name)
    return _("A report of a protected service") if service.sensitive else str(service.name)


def notify_assignee(request: Any, assignee: Any) -> list[str]:
    """Tell an officer a report is now theirs, by the channels they chose for new reports in
    their area (`jaga.notifications`: inbox and e-mail unless they chose otherwise; the inbox
    entry is made by the new-report notification itself)."""
    from jaga.notifications.models import Channel, Kind
    from jaga.notifications.services import channels_for

    channels = channels_for(assignee, Kind.NEW_REPORT)
    email = assignee.email if Channel.EMAIL in channels else ""
    phone = assignee.phone if Channel.MESSAGE in channels else ""
    if not (email or phone):
        return []
    with translation.override(getattr(assignee, "language", "") or "id"):
        subject = _("Jaga: report %(ticket)s assigned to you") % {"ticket": request.ticket}
        text = _(
            "Report %(ticket)s (%(service)s, %(village)s) is assigned to you. Due: %(due)s."
        ) % {
            "ticket": request.ticket,
            "service": outside_name(request.service),
            "village": request.village.name,
            "due": f"{request.due_at:%Y-%m-%d %H:%M}",
        }
    return _send(email, phone, subject, text)


def notify_reporter(request: Any, text_update: str) -> list[str]:
    """Tell the reporter about a public change; anonymous reporters left no contact."""
    if not (request.email or request.phone):
        return []
    with translation.override("id"):
        subject = _("Jaga: update on your report %(ticket)s") % {"ticket": request.ticket}
        text = _("Report %(ticket)s: %(status)s. %(text)s") % {
            "ticket": request.ticket,
            "status": request.get_status_display(),
            "text": text_update,
        }
    return _send(
        request.email, request.phone, subject, text.strip(), getattr(request, "channel", "")
    )


def notify_tracking_code(request: Any, code: str, link: str) -> list[str]:
    """Send the reporter the private tracking code and link, to the reporter's own contact only."""
    if not (request.email or request.phone):
        return []
    with translation.override("id"):
        subject = _("Jaga: your report %(ticket)s") % {"ticket": request.ticket}
        text = _(
            "Report %(ticket)s received. Your private tracking code is %(code)s; follow your "
            "report at %(link)s. Do not share it: it lets anyone read the officers' replies."
        ) % {"ticket": request.ticket, "code": code, "link": link}
    return _send(request.email, request.phone, subject, text, getattr(request, "channel", ""))
