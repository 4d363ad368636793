"""The audit trail (being built in its own branch; this is the interface the case services call)."""


def audit_record(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id=None,
    reference: str = "",
    outcome: str = "allowed",
    status_code: int | None = None,
    agencies=(),
    detail: dict | None = None,
):
    return None
