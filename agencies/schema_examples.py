"""Examples of the directory, the caller, members and API clients in the contract."""

from protocol.schema import register_examples

CLIENT = {
    "id": "5e7d9c1b-3a2f-4e6d-8b0a-9c8d7e6f5a4b",
    "name": "case-system",
    "client_id": "Kx3Vd9QmR2pT7wYz",
    "role": "officer",
    "scopes": ["referrals:read", "referrals:write"],
    "created_at": "2026-03-02T02:00:00Z",
    "secret_rotated_at": None,
    "revoked_at": None,
    "is_revoked": False,
}
MEMBER = {
    "id": "7a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d",
    "username": "dara.sok",
    "email": "dara.sok@mosvy.gov.kh",
    "first_name": "Dara",
    "last_name": "Sok",
    "role": "officer",
    "is_active": True,
    "created_at": "2026-03-01T02:00:00Z",
    "updated_at": "2026-03-01T02:00:00Z",
}
register_examples(
    {
        "Agency": {
            "code": "KH-MOSVY",
            "name": "Ministry of Social Affairs, Veterans and Youth Rehabilitation",
            "name_local": "ក្រសួងសង្គមកិច្ច អតីតយុទ្ធជន និងយុវនីតិសម្បទា",
            "country": "KH",
            "kind": "social_welfare",
            "language": "km",
            "is_active": True,
        },
        "Checkpoint": {
            "code": "KH-TH-POIPET",
            "name": "Poipet - Aranyaprathet",
            "name_local": "",
            "countries": ["KH", "TH"],
            "kind": "land",
            "is_active": True,
        },
        "Me": {
            "username": "case-system",
            "display_name": "case-system",
            "agency": {
                "code": "TH-MSDHS",
                "name": "Ministry of Social Development and Human Security",
                "name_local": "กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
                "country": "TH",
                "kind": "social_welfare",
                "language": "th",
                "notification_email": "referrals@msdhs.go.th",
            },
            "role": "officer",
            "scopes": ["referrals:read", "referrals:write"],
            "api_client": {"id": CLIENT["id"], "name": "case-system"},
            "on_behalf_of": "officer-1234",
        },
        "Member": MEMBER,
        "MemberCreateRequest": {
            "username": "dara.sok",
            "email": "dara.sok@mosvy.gov.kh",
            "first_name": "Dara",
            "last_name": "Sok",
            "role": "officer",
        },
        "PatchedMemberUpdateRequest": {"role": "viewer"},
        "ApiClient": CLIENT,
        "ApiClientWithSecret": {
            **CLIENT,
            "client_secret": "s3cr3t-shown-once-Qe8vN1",
            "secret_note": None,
        },
        "ApiClientCreateRequest": {
            "name": "case-system",
            "role": "officer",
            "scopes": ["referrals:read", "referrals:write"],
        },
    }
)
