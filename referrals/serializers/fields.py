"""Fields and validators the case serializers share."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agencies.models import Checkpoint
from agencies.serializers import CodeField


def not_in_future(value):
    if value and value > timezone.localdate():
        raise serializers.ValidationError(_("This date cannot be in the future."))
    return value


def not_in_past(value):
    if value and value < timezone.localdate():
        raise serializers.ValidationError(_("This date cannot be in the past."))
    return value


class CheckpointCodeField(CodeField):
    default_error_messages = {"does_not_exist": _("No active checkpoint has the code {value}.")}

    def __init__(self, **kwargs):
        super().__init__(
            slug_field="code", queryset=Checkpoint.objects.filter(is_active=True), **kwargs
        )
