"""Examples of events, webhooks, deliveries and audit events in the contract."""

from protocol.schema import register_examples

EVENT = {
    "id": "e4d3c2b1-a0f9-4e8d-8c7b-6a5f4e3d2c1b",
    "sequence": 1042,
    "type": "referral.sent",
    "object_type": "referral",
    "object_id": "3f9a2c1e-7b4d-4e8a-9c51-2d6f0b8e4a17",
    "reference": "REF-TH-KH-2026-000042",
    "actor_agency": "TH-MSDHS",
    "data": {
        "path": "/api/v1/referrals/3f9a2c1e-7b4d-4e8a-9c51-2d6f0b8e4a17/",
        "status": "sent",
        "urgency": "urgent",
        "sender": "TH-MSDHS",
        "recipient": "KH-MOSVY",
        "acknowledge_due_at": "2026-04-11T03:00:00Z",
        "respond_due_at": "2026-04-22T17:00:00Z",
    },
    "created_at": "2026-04-10T03:00:00Z",
}
ENDPOINT = {
    "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "url": "https://cases.mosvy.gov.kh/hooks/mekong",
    "description": "Case system",
    "event_types": ["referral.*", "deadline.overdue"],
    "is_active": True,
    "disabled_reason": "",
    "previous_secret_expires_at": None,
    "created_at": "2026-03-02T02:00:00Z",
    "updated_at": "2026-03-02T02:00:00Z",
}
register_examples(
    {
        "Event": EVENT,
        "EventPage": {
            "next": "https://exchange.example.org/api/v1/events/?after=1042&limit=1",
            "results": [EVENT],
        },
        "WebhookEndpoint": ENDPOINT,
        "WebhookEndpointWithSecret": {
            **ENDPOINT,
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "secret_note": None,
        },
        "WebhookEndpointCreateRequest": {
            "url": "https://cases.mosvy.gov.kh/hooks/mekong",
            "description": "Case system",
            "event_types": ["referral.*", "deadline.overdue"],
        },
        "PatchedWebhookEndpointUpdateRequest": {"is_active": False},
        "Delivery": {
            "id": "2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f",
            "channel": "webhook",
            "endpoint": ENDPOINT["id"],
            "event": {
                "id": EVENT["id"],
                "sequence": 1042,
                "type": "referral.sent",
                "reference": "REF-TH-KH-2026-000042",
            },
            "state": "delivered",
            "attempts": 1,
            "next_attempt_at": None,
            "last_attempt_at": "2026-04-10T03:00:02Z",
            "last_status_code": 204,
            "last_error": "",
            "delivered_at": "2026-04-10T03:00:02Z",
            "created_at": "2026-04-10T03:00:00Z",
        },
        "AuditEvent": {
            "sequence": 88213,
            "occurred_at": "2026-04-10T03:05:00Z",
            "actor": "case-system",
            "agency": "KH-MOSVY",
            "api_client": "5e7d9c1b-3a2f-4e6d-8b0a-9c8d7e6f5a4b",
            "api_client_name": "case-system",
            "on_behalf_of": "officer-1234",
            "action": "referral.read",
            "object_type": "referral",
            "object_id": "3f9a2c1e-7b4d-4e8a-9c51-2d6f0b8e4a17",
            "reference": "REF-TH-KH-2026-000042",
            "outcome": "allowed",
            "status_code": 200,
            "request_id": "5f0c6f0e-8a51-4c1e-9d7a-3c2f1f5b9e21",
            "agencies": ["KH-MOSVY", "TH-MSDHS"],
            "detail": {},
            "prev_hash": "9f2c",
            "hash": "41ab",
        },
        "SlaReport": {
            "from": "2026-01-01",
            "to": "2026-03-31",
            "pairs": [
                {
                    "sender": "TH-MSDHS",
                    "recipient": "KH-MOSVY",
                    "cases": 42,
                    "acknowledge_median_hours": 6.5,
                    "acknowledge_p90_hours": 30.0,
                    "answer_median_hours": 96.0,
                    "answer_p90_hours": 240.0,
                    "answered_on_time_share": 0.9,
                    "overdue_now": 1,
                }
            ],
        },
    }
)

TREE_HEAD = {
    "tree_size": 1048576,
    "root_hash": "9f2c1e7b4d4e8a9c512d6f0b8e4a173f9a2c1e7b4d4e8a9c512d6f0b8e4a17aa",
    "timestamp": 1775790000000,
    "sealed_at": "2026-04-10T03:00:00Z",
    "key_id": "a1b2c3d4",
    "signature": (
        "MEUCIQD0x5Yw9cFv1s2bq7m3Qn8p0Jt4Lw6kRz2hX1yV9eN5uAIgQ2dT8c3kP1vR6sM4nW7zB0aJ9yF2xE5hL8o"
    ),
}
register_examples(
    {
        "TreeHead": TREE_HEAD,
        "InclusionProof": {
            "tree_size": 1048576,
            "root_hash": TREE_HEAD["root_hash"],
            "sequence": 1042,
            "leaf_index": 1041,
            "row_hash": "4a17aa9f2c1e7b4d4e8a9c512d6f0b8e3f9a2c1e7b4d4e8a9c512d6f0b8e4a17",
            "canonical": '{"action":"referral.read","sequence":1042}',
            "audit_path": ["2d6f0b8e4a173f9a2c1e7b4d4e8a9c512d6f0b8e4a17aa9f2c1e7b4d4e8a9c51"],
        },
        "ConsistencyProof": {
            "first": 524288,
            "second": 1048576,
            "consistency_path": [
                "8a9c512d6f0b8e4a173f9a2c1e7b4d4e8a9c512d6f0b8e4a17aa9f2c1e7b4d4e"
            ],
        },
    }
)
