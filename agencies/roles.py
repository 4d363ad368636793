"""The roles a member holds within an agency."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    VIEWER = "viewer", _("Viewer")
    ADMIN = "admin", _("Agency admin")
    AUDITOR = "auditor", _("Auditor")
