"""The API's documentation pages run under the same Content-Security-Policy as the portal."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("path", "rendered"), [("/api/docs/", ".swagger-ui .info"), ("/api/redoc/", "h1")]
)
def test_the_api_docs_render_without_breaking_the_policy(visitor, path, rendered):
    reader = visitor("api-docs")
    refused = []
    reader.page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = reader.go(path)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    reader.page.wait_for_selector(rendered, timeout=20_000)
    assert refused == []
