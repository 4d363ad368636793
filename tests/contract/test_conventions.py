"""The contract's own rules: documented operations, valid examples, strict bodies and queries,
refusals that name what is missing, messages in the caller's language, times with ``Z``."""

import collections
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker
from rest_framework.test import APIClient

from agencies.roles import Role
from referrals.workflows import RETURN_WORKFLOW

from ..referrals.conftest import new_referral

CONTRACT = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
OPERATIONS = [
    (path, method, operation)
    for path, item in CONTRACT["paths"].items()
    for method, operation in item.items()
]


def _bearer(token: str, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    return client


def test_every_operation_has_a_summary_and_a_description_of_its_own():
    descriptions = collections.Counter(op.get("description") for _, _, op in OPERATIONS)
    for path, method, operation in OPERATIONS:
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        assert descriptions[operation["description"]] == 1, (method, path)


def test_every_json_body_and_answer_has_examples_that_match_the_schema():
    for path, method, operation in OPERATIONS:
        bodies = [operation.get("requestBody", {})] + [
            response for code, response in operation["responses"].items() if code[0] in "245"
        ]
        for body in bodies:
            for media_type, media in body.get("content", {}).items():
                if "json" not in media_type:
                    continue
                assert media.get("examples"), (method, path, media_type)
                schema = {**media["schema"], "components": CONTRACT["components"]}
                validator = Draft202012Validator(schema, format_checker=FormatChecker())
                for name, example in media["examples"].items():
                    errors = [e.message for e in validator.iter_errors(example["value"])]
                    assert not errors, (method, path, name, errors)


def test_every_request_body_refuses_unknown_fields_in_the_contract():
    for name, schema in CONTRACT["components"]["schemas"].items():
        if name.endswith("Request") and schema.get("type") == "object":
            assert schema.get("additionalProperties") is False, name


def test_every_operation_declares_the_shared_headers_and_statuses():
    for path, method, operation in OPERATIONS:
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert {"Accept-Language", "X-On-Behalf-Of", "X-Request-ID"} <= headers, (method, path)
        assert {"401", "403", "404", "405", "406", "429", "500"} <= set(operation["responses"])
        for response in operation["responses"].values():
            assert response["headers"]["X-Request-ID"]["required"] is True


@pytest.mark.django_db
def test_a_misspelt_field_is_refused_naming_it(parties):
    referral = new_referral(parties.world, "sent")
    kh = _bearer(parties.kh_officer)
    response = kh.post(
        f"/api/v1/referrals/{referral.pk}/acknowledge/",
        {"focal_piont": "Ms Dara", "focal_point": "Ms Dara"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"focal_piont": ["Unknown field."]}
    referral.refresh_from_db()
    assert referral.status == "sent"


@pytest.mark.django_db
def test_an_unknown_nested_field_is_refused_naming_it(parties):
    th = _bearer(parties.th_officer)
    response = th.post(
        "/api/v1/referrals/",
        {
            "recipient_agency": "KH-MOSVY",
            "category": "trafficking_victim",
            "identified_on": "2026-11-20",
            "subject": {"given_name": "Sokha", "sex": "female", "eye_colour": "brown"},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["subject"] == {"eye_colour": ["Unknown field."]}


@pytest.mark.django_db
@pytest.mark.parametrize("part", ["messages", "shares"])
def test_thread_and_share_lists_refuse_unknown_query_parameters(parties, part):
    th = _bearer(parties.th_officer)
    response = th.get(f"/api/v1/referrals/{parties.referral.pk}/{part}/?status=sent")
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    operation = CONTRACT["paths"][f"/api/v1/referrals/{{id}}/{part}/"]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {
        "cursor",
        "limit",
    }


@pytest.mark.django_db
def test_a_refusal_names_the_missing_scope(parties, as_partner):
    reader = as_partner(parties.world.th_sender, Role.OFFICER, scopes=["referrals:read"])
    response = reader.post("/api/v1/referrals/", {}, format="json")
    assert response.status_code == 403
    assert "referrals:write" in response.json()["detail"]


@pytest.mark.django_db
def test_a_refusal_names_the_role_and_the_roles_that_may(parties, as_partner):
    viewer = as_partner(parties.world.kh_recipient, Role.ADMIN, scopes=["agency:admin"])
    response = viewer.get("/api/v1/audit-events/")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "Agency admin" in detail and "Auditor" in detail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "required"),
    [("km", "វាលនេះត្រូវតែបំពេញ។"), ("th", "ต้องกรอกช่องนี้"), ("vi", "Trường này là bắt buộc.")],
)
def test_field_messages_speak_the_callers_language(parties, language, required):
    referral = new_referral(parties.world, "sent")
    kh = _bearer(parties.kh_officer, HTTP_ACCEPT_LANGUAGE=language)
    response = kh.post(f"/api/v1/referrals/{referral.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["focal_point"] == [required]
    unknown = kh.post(
        "/api/v1/referrals/", {"recipient_agency": "KH-NOWHERE"}, format="json"
    ).json()["errors"]["recipient_agency"]
    assert "KH-NOWHERE" in unknown[0] and "No active agency" not in unknown[0]


@pytest.mark.django_db
def test_due_dates_in_event_data_end_with_z(parties):
    kh = _bearer(parties.kh_officer)
    events = kh.get("/api/v1/events/?limit=200").json()["results"]
    dues = [
        value
        for event in events
        for key, value in event["data"].items()
        if key.endswith("_at") and value
    ]
    assert dues and all(value.endswith("Z") for value in dues)


def _links(path: str, method: str, status: str) -> dict:
    return CONTRACT["paths"][path][method]["responses"][status].get("links", {})


def test_an_action_links_to_the_actions_its_new_state_allows_with_the_etag_as_if_match():
    after_send = _links("/api/v1/referrals/{id}/send/", "post", "200")
    actions = {name for name in after_send if name.startswith("referrals_") and "_create" in name}
    assert {"referrals_acknowledge_create", "referrals_accept_create"} <= actions
    assert "referrals_close_create" not in actions
    assert after_send["referrals_accept_create"]["parameters"] == {
        "id": "$request.path.id",
        "header.If-Match": "$response.header.ETag",
    }


def test_a_final_action_links_to_no_further_action():
    after_reject = _links("/api/v1/returns/{id}/reject/", "post", "200")
    assert set(after_reject) & {f"returns_{a}_create" for a in RETURN_WORKFLOW.transitions} == set()
    assert "returns_retrieve" in after_reject


def test_a_message_hands_no_etag_to_the_case():
    after_message = _links("/api/v1/referrals/{id}/messages/", "post", "201")
    assert "header.If-Match" not in after_message["referrals_send_create"]["parameters"]
