"""Who changes state. Every service takes the acting user as an `Actor`: the
project's user model, which the foreign keys that record an actor point to."""

from typing import TypeAlias

from django.contrib.auth.models import User

Actor: TypeAlias = User
