"""The API describes itself: the served OpenAPI 3 schema passes an outside validator, every
operation documents its refusals as problem details, and the docs page needs no network."""

import httpx
import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_served_schema_is_valid_openapi(live_server):
    schema = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    assert len(operations) >= 14
    for operation in operations:
        refusal = operation["responses"]["4XX"]["content"]["application/problem+json"]
        assert refusal["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_posts_document_the_idempotency_key(live_server):
    schema = httpx.get(f"{live_server.url}/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/renders"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]


def test_the_docs_page_loads_its_files_from_this_server(live_server):
    page = httpx.get(f"{live_server.url}/api/v1/docs")
    assert page.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
