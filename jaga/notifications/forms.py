from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jaga.notifications.models import SubscriptionChannel
from jaga.surveys.forms import public_villages, village_field


class SubscribeForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send the news by"),
        choices=SubscriptionChannel.choices,
        widget=forms.RadioSelect,
        initial=SubscriptionChannel.EMAIL,
    )
    address = forms.CharField(
        label=_("E-mail address or WhatsApp number"),
        max_length=254,
        help_text=_("Used only to send this village's public news. Never shown to anyone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"] = village_field(public_villages())
        self.order_fields(["village", "channel", "address"])
