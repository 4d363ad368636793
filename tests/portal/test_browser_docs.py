"""The API's documentation pages run under the same Content-Security-Policy as the portal."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_without_breaking_the_policy(visitor):
    reader = visitor("api-docs")
    refused = []

    def watch(message):
        # Their own scripts and styles must run; a remote logo Redoc links to stays blocked.
        text = message.text
        if "Content Security Policy" in text and not text.startswith("Loading"):
            refused.append(text)

    reader.page.on("console", watch)
    response = reader.go("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    reader.page.wait_for_selector(".swagger-ui .info", timeout=20_000)
    assert refused == []


def test_redoc_loads_only_its_own_script(client):
    page = client.get("/api/redoc/")
    html = page.content.decode()
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "<script>" not in html and "googleapis" not in html
    assert '<script src="/static/drf_spectacular_sidecar/redoc/' in html
