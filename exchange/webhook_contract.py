"""The ``webhooks`` section of the contract: one entry per event type, its body and signing."""

from .events import EVENT_TYPES, TEST_EVENT_TYPE

_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_CODE = {"type": "string", "description": "An agency's code."}


def _closed(properties: dict, description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_CASE = {
    "path": {"type": "string", "description": "Where to fetch the case in the API."},
    "status": {"type": "string", "description": "The case's status after the event."},
    "urgency": {"type": "string", "enum": ["routine", "urgent", "emergency"]},
    "sender": _CODE,
    "recipient": _CODE,
}
DATA_SCHEMAS = {
    "ReferralEventData": _closed(
        {**_CASE, "acknowledge_due_at": _NULLABLE_TIME, "respond_due_at": _NULLABLE_TIME},
        "A referral notice's state and running clocks; no personal data.",
    ),
    "ReturnEventData": _closed(
        {**_CASE, "verification_due_at": _NULLABLE_TIME},
        "A return request's state and running clock; no personal data.",
    ),
    "DocumentEventData": _closed(
        {
            **_CASE,
            "document": {"type": "string", "format": "uuid"},
            "kind": {"type": "string", "description": "The document's kind."},
        },
        "A document added to or removed from a case: its id and kind, never its name or content.",
    ),
    "DeadlineEventData": _closed(
        {
            **_CASE,
            "deadline": {
                "type": "string",
                "enum": ["acknowledge", "respond", "verification"],
                "description": "The clock the reminder is about.",
            },
            "due_at": _TIME,
            "threshold": {
                "type": "string",
                "pattern": r"^(before-[0-9]+h|due|overdue-[0-9]+|escalated)$",
                "description": "before-<hours>h, due, overdue-<periods> or escalated.",
            },
        },
        "A reminder about one clock of a case.",
    ),
    "AuditCheckpointEventData": _closed(
        {"sequence": {"type": "integer"}, "hash": {"type": "string"}},
        "The head of the audit chain, for partners to keep.",
    ),
    "AuditTreeHeadEventData": _closed(
        {
            "tree_size": {"type": "integer", "description": "Leaves (audit rows) under the head."},
            "root_hash": {"type": "string", "description": "The Merkle root, hex (RFC 9162)."},
            "timestamp": {"type": "integer", "description": "Milliseconds since the epoch."},
            "key_id": {"type": "string", "description": "Which signing key signed it."},
            "signature": {"type": "string", "description": "Ed25519 signature, base64."},
        },
        "A signed head of the audit log's Merkle tree, for partners to keep and verify.",
    ),
    "WebhookTestData": _closed(
        {"endpoint": {"type": "string", "format": "uuid"}, "agency": _CODE},
        "A test message asked for by an agency admin.",
    ),
}

_CASE_DATA = {
    "oneOf": [
        {"$ref": "#/components/schemas/ReferralEventData"},
        {"$ref": "#/components/schemas/ReturnEventData"},
    ]
}


def _data_schema(event_type: str) -> dict:
    """Which data an event of this type carries (see ``event_data_check`` for the keys)."""
    if event_type.startswith("document."):
        return {"$ref": "#/components/schemas/DocumentEventData"}
    if event_type == "audit.tree_head":
        return {"$ref": "#/components/schemas/AuditTreeHeadEventData"}
    prefix = event_type.split(".", 1)[0]
    name = {
        "referral": "ReferralEventData",
        "return": "ReturnEventData",
        "deadline": "DeadlineEventData",
        "audit": "AuditCheckpointEventData",
    }.get(prefix)
    return {"$ref": f"#/components/schemas/{name}"} if name else _CASE_DATA


def _event_schema(event_type: str) -> dict:
    """The event as the feed shows it, with the data of its type."""
    system = event_type.startswith("audit.")
    return _closed(
        {
            "id": {"type": "string", "format": "uuid"},
            "sequence": {"type": "integer"},
            "type": {"type": "string", "const": event_type},
            "object_type": {"type": "string"},
            "object_id": {"type": ["string", "null"], "format": "uuid"},
            "reference": {"type": "string", "description": "Empty for a draft."},
            "actor_agency": {"type": "null"} if system else {"type": ["string", "null"]},
            "data": _data_schema(event_type),
            "created_at": _TIME,
        },
        "The event, as the feed lists it.",
    )


def _message(event_type: str, data: dict) -> dict:
    return _closed(
        {"type": {"type": "string", "const": event_type}, "timestamp": _TIME, "data": data},
        "The signed body: the event's type, its time and the event itself.",
    )


def component_name(event_type: str) -> str:
    """``referral.sent`` -> ``ReferralSentWebhook``."""
    words = event_type.replace("_", ".").split(".")
    return "".join(word.title() for word in words) + "Webhook"


SIGNING_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The delivery's id: the same on every retry and redelivery; "
        "deduplicate on it.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": "Seconds since the epoch when signed; refuse messages more than five "
        "minutes away from your clock.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Space-separated `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` "
        "with the endpoint's secret (two during a rotation): Standard Webhooks.",
    },
]


def _webhook(event_type: str, title: str) -> dict:
    ref = {"$ref": f"#/components/schemas/{component_name(event_type)}"}
    return {
        "post": {
            "operationId": f"webhook_{event_type.replace('.', '_')}",
            "summary": title,
            "description": f"`{event_type}`: sent to every endpoint of an agency the event "
            "concerns that subscribes to it, signed with the endpoint's secret, retried with "
            "backoff for about three days until a 2xx answer.",
            "parameters": SIGNING_HEADERS,
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
            "responses": {
                "2XX": {"description": "Received; any 2xx status ends the delivery."},
                "default": {"description": "Not received: the delivery is tried again."},
            },
        }
    }


def webhook_schemas() -> dict[str, dict]:
    """Component name -> schema of each webhook body, the test message's included."""
    schemas = {component_name(t): _message(t, _event_schema(t)) for t in EVENT_TYPES}
    test = {"$ref": "#/components/schemas/WebhookTestData"}
    schemas[component_name(TEST_EVENT_TYPE)] = _message(TEST_EVENT_TYPE, test)
    return schemas


def add_webhooks(result, generator, request, public):
    """drf-spectacular hook: the ``webhooks`` section and the schemas of the bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(DATA_SCHEMAS)
    schemas.update(webhook_schemas())
    titles = {**{t: str(title) for t, title in EVENT_TYPES.items()}, TEST_EVENT_TYPE: "Test"}
    result["webhooks"] = {t: _webhook(t, title) for t, title in titles.items()}
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
