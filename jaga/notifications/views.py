"""The officers' inbox and settings, and the residents' public subscribe / confirm / unsubscribe
pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jaga.accounts.access import PARTNERSHIP_ROLES, allow, allow_public
from jaga.core import ratelimit
from jaga.core.errors import DomainError
from jaga.core.types import AuthenticatedRequest
from jaga.notifications import services
from jaga.notifications.forms import SubscribeForm
from jaga.notifications.models import DEFAULT_CHANNELS, Channel, Kind, Notification, Preference

PAGE_SIZE = 30


@login_required
@allow(*PARTNERSHIP_ROLES)
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The person's notifications, newest first; POST marks one (`read`) or all read, or opens
    one (`open`: marked read, then its page)."""
    user = request.user
    if request.method == "POST":
        if "all" in request.POST:
            services.mark_read(request.user)
            return redirect("notifications:inbox")
        for field in ("open", "read"):
            value = request.POST.get(field, "")
            if value.isdigit():
                services.mark_read(request.user, int(value))
                note = Notification.objects.filter(user=user, pk=int(value)).first()
                if field == "open" and note is not None and note.link.startswith("/"):
                    return redirect(note.link)  # a path inside Jaga, written by compose()
        return redirect("notifications:inbox")
    rows = Notification.objects.filter(user=user, in_inbox=True).only(
        "id", "kind", "title", "text", "link", "created_at", "read_at"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": services.unread_count(user), "inbox_page": True},
    )


@login_required
@allow(*PARTNERSHIP_ROLES)
def unread(request: AuthenticatedRequest) -> HttpResponse:
    """The top bar's unread count (asked by htmx after the page loaded)."""
    user = request.user
    return render(request, "notifications/unread.html", {"unread": services.unread_count(user)})


@login_required
@allow(*PARTNERSHIP_ROLES)
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    """Per kind of event, the channels the person wants."""
    user = request.user
    kinds = list(Kind.choices)
    channels = list(Channel.choices)
    if request.method == "POST":
        wanted = {
            kind: {c for c, _label in channels if request.POST.get(f"{kind}:{c}") == "on"}
            for kind, _label in kinds
        }
        services.save_preferences(request.user, wanted)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notifications:settings")
    saved = {p.kind: p.channels() for p in Preference.objects.filter(user=user)}
    rows = [
        {
            "kind": kind,
            "label": label,
            "channels": [
                {
                    "name": f"{kind}:{c}",
                    "label": c_label,
                    "on": c in saved.get(kind, DEFAULT_CHANNELS),
                }
                for c, c_label in channels
            ],
        }
        for kind, label in kinds
    ]
    return render(
        request,
        "notifications/settings.html",
        {
            "rows": rows,
            "channels": channels,
            "has_email": bool(getattr(user, "email", "")),
            "has_phone": bool(getattr(user, "phone", "")),
        },
    )


@allow_public
def subscribe(request: HttpRequest) -> HttpResponse:
    """Residents follow a village's public news. The answer is the same whether the address is
    new, waiting or already subscribed; the form is rate-limited per connection."""
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(request, "news-subscribe")
            services.request_subscription(
                form.cleaned_data["village"],
                form.cleaned_data["channel"],
                form.cleaned_data["address"],
            )
        except ratelimit.RateLimited as exc:
            return render(
                request,
                "notifications/subscribe.html",
                {"form": form, "error": exc.message},
                status=429,
            )
        except DomainError as exc:
            form.add_error("address", str(exc.message))
        else:
            return render(
                request,
                "notifications/subscribe_sent.html",
                {"village": form.cleaned_data["village"]},
            )
    return render(request, "notifications/subscribe.html", {"form": form})


@allow_public
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation link: GET shows a button (mail scanners open links), POST confirms."""
    if request.method == "POST":
        sub = services.confirm(token)
        return render(
            request, "notifications/confirmed.html", {"sub": sub}, status=200 if sub else 404
        )
    return render(request, "notifications/confirm.html", {"token": token})


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" without a session
@allow_public
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click: POST (the mail provider's or the page's button) stops the subscription; GET
    shows the button, so that a link scanner opening the link changes nothing."""
    if request.method == "POST":
        sub = services.unsubscribe(token)
        return render(
            request, "notifications/unsubscribed.html", {"sub": sub}, status=200 if sub else 404
        )
    return render(request, "notifications/unsubscribe.html", {"token": token})
