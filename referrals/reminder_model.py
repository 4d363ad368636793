"""The deadline sweep's rows: when it next looks at a case, and each reminder it sent."""

from django.db import models
from django.utils import timezone

# What names a reminder: one is sent per case, clock and threshold.
REMINDER_KEY = ("case_type", "case_id", "deadline", "threshold")


class Reminder(models.Model):
    """A reminder sent about one clock of one case at one threshold: sent exactly once."""

    case_type = models.CharField(max_length=16)
    case_id = models.UUIDField()
    deadline = models.CharField(max_length=16)
    threshold = models.CharField(max_length=24)
    due_at = models.DateTimeField()
    event = models.ForeignKey("exchange.Event", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=REMINDER_KEY, name="reminder_once")]

    def __str__(self):
        return f"{self.case_type} {self.case_id} {self.deadline} {self.threshold}"


class ReminderSchedule(models.Model):
    """When the deadline sweep should next look at a case; a case with no running clock has none.

    Kept beside the case rather than on it: the sweep moves thousands of these at once, and
    each move rewrote the case row with its dozen indexes, where this row has two.
    """

    case_id = models.UUIDField(primary_key=True)
    case_type = models.CharField(max_length=16)
    next_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case_type", "next_at"], name="reminder_schedule_due_idx")]

    def __str__(self):
        return f"{self.case_type} {self.case_id} at {self.next_at.isoformat()}"
