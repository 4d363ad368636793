"""Every write to cases, by concern: drafts, the two workflows, threads, shares, reminders,
consent changes and retention.

Each service runs in one transaction that locks the case, re-checks the caller's side in SQL,
and writes the event and the audit row with the change.
"""

from .common import agreement_between
from .consent import case_consent_change
from .drafts import case_update, referral_create, return_create
from .referral_workflow import (
    referral_accept,
    referral_acknowledge,
    referral_close,
    referral_reject,
    referral_send,
    referral_withdraw,
)
from .reminders import deadlines_sweep
from .retention import retention_sweep
from .return_workflow import (
    return_acknowledge,
    return_cancel,
    return_confirm_handover,
    return_reject,
    return_schedule,
    return_send,
    return_verify,
)
from .shares import case_share, case_share_revoke
from .threads import case_message_post

__all__ = [
    "agreement_between",
    "case_consent_change",
    "case_message_post",
    "case_share",
    "case_share_revoke",
    "case_update",
    "deadlines_sweep",
    "referral_accept",
    "referral_acknowledge",
    "referral_close",
    "referral_create",
    "referral_reject",
    "referral_send",
    "referral_withdraw",
    "retention_sweep",
    "return_acknowledge",
    "return_cancel",
    "return_confirm_handover",
    "return_create",
    "return_reject",
    "return_schedule",
    "return_send",
    "return_verify",
]
