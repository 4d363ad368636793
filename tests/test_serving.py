"""How the exchange is served: the embedded default with DEBUG off, no admin shortcut to other
agencies' objects, and truncated or stalled request bodies refused by the real web server."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import NoReverseMatch, reverse

from agencies.models import ApiClient, Membership
from agencies.roles import Role

from .factories import api_client_with_token, member
from .processes import PROJECT, Gunicorn

EMBEDDED_PROBE = """
import hashlib, json, django
django.setup()
from django.conf import settings
from django.test import Client
browser = Client(raise_request_exception=False)
missing = browser.get("/no-such-page/")
print(json.dumps({
    "debug": settings.DEBUG,
    "key": hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(),
    "missing": [missing.status_code, missing["Content-Type"], missing.content.decode()],
    "static": browser.get("/static/rest_framework/css/bootstrap.min.css").status_code,
}))
"""


def _embedded(var_dir) -> dict:
    """Settings as ``make run`` has them: nothing in the environment but a place for its files."""
    env = {"PATH": os.environ["PATH"], "HOME": str(var_dir), "VAR_DIR": str(var_dir)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    done = subprocess.run(
        [sys.executable, "-c", EMBEDDED_PROBE],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_embedded_default_runs_with_debug_off(tmp_path):
    first = _embedded(tmp_path)
    assert first["debug"] is False
    status, content_type, body = first["missing"]
    assert (status, content_type) == (404, "application/problem+json")
    assert "URLconf" not in body and "Traceback" not in body
    assert first["static"] == 200  # the API docs' assets, through WhiteNoise
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert _embedded(tmp_path)["key"] == first["key"]  # sessions survive a restart


@pytest.mark.django_db
def test_the_admin_view_on_site_shortcut_is_off(th_agency, operator_browser):
    membership = Membership.objects.get(user=member(th_agency, Role.OFFICER))
    content_type = ContentType.objects.get_for_model(Membership)
    with pytest.raises(NoReverseMatch):
        reverse("admin:view_on_site", args=[content_type.pk, membership.pk])
    existing = operator_browser.get(f"/admin/r/{content_type.pk}/{membership.pk}/")
    missing = operator_browser.get(f"/admin/r/{content_type.pk}/999999/")
    assert existing.status_code == missing.status_code == 404
    assert existing.content == missing.content.replace(
        missing["X-Request-ID"].encode(), existing["X-Request-ID"].encode()
    )


# Finding 9: bodies shorter than their Content-Length ----------------------------------------

BODY_TIMEOUT = 2


@pytest.fixture
def web(transactional_db, tmp_path):
    db = connection.settings_dict
    server = Gunicorn(
        database_url=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        workdir=tmp_path,
        REQUEST_BODY_TIMEOUT=str(BODY_TIMEOUT),
    ).start()
    yield server
    server.stop()


def _post_short(web, token: str, body: bytes, *, missing: int, close: bool) -> tuple[bytes, float]:
    """Declare ``missing`` more bytes than sent; then close our side or stall. The answer and
    how long it took."""
    head = (
        f"POST /api/v1/agency/clients/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) + missing}\r\nConnection: close\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", web.port), timeout=BODY_TIMEOUT + 8) as conn:
        conn.sendall(head + body)
        if close:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("close", [True, False], ids=["client closes", "client stalls"])
def test_a_body_shorter_than_its_content_length_is_refused_and_writes_nothing(
    web, kh_agency, close
):
    _client, token = api_client_with_token(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    body = b'{"name": "truncated", "role": "viewer", "scopes": ["referrals:read"]}'
    answer, took = _post_short(web, token, body, missing=40, close=close)
    assert answer.startswith(b"HTTP/1.1 400 "), (answer[:300], web.log())
    assert b"application/problem+json" in answer
    assert b"incomplete-body" in answer
    assert took < BODY_TIMEOUT + 5
    assert not ApiClient.objects.filter(name="truncated").exists()


@pytest.mark.django_db(transaction=True)
def test_a_complete_body_is_still_served(web, kh_agency):
    _client, token = api_client_with_token(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    body = b'{"name": "complete", "role": "viewer", "scopes": ["referrals:read"]}'
    answer, _took = _post_short(web, token, body, missing=0, close=False)
    assert answer.startswith(b"HTTP/1.1 201 "), (answer[:300], web.log())
    assert ApiClient.objects.filter(name="complete").exists()
