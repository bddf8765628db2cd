"""factory_boy factories for the foundation; apps add their own in tests/<app>/factories.py."""

from __future__ import annotations

import datetime

import factory

from jaga.accounts.models import Posting, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="id_ID")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            obj.save()


class PostingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Posting

    user = factory.SubFactory(UserFactory)
    role = Role.BHABIN
    valid_from = datetime.date(2020, 1, 1)
