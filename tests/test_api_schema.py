"""Property tests of the JSON API against its own OpenAPI document (schemathesis)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.web_helpers import build_index
from web import create_app

OPERATIONS = ["GET /api/search", "POST /api/search", "GET /api/doc/{doc_id}",
              "GET /api/doc/{doc_id}/related",
              "GET /api/suggest", "GET /api/opensearch-suggest", "GET /healthz",
              "POST /api/documents", "DELETE /api/documents/{doc_id}"]
TOKEN = "schema-token"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    index_dir, _ = build_index(tmp_path_factory.mktemp("api_schema"), 15)
    app = create_app({"SEARCH_INDEX_DIR": str(index_dir), "TESTING": True,
                      "SEARCH_WRITE_TOKEN": TOKEN})
    # Writes stay journaled: a committer thread would draw Whoosh's random segment names from
    # the random module hypothesis reseeds (same names twice), and hypothesis forbids that.
    app.extensions["search_committer"] = _JournalOnly()
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


class _JournalOnly:
    def wake(self):
        pass


def test_document_lists_the_operations(api_schema):
    found = sorted(r.ok().label for r in api_schema.get_all_operations())
    assert found == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_conforms_to_its_schema(api_schema, label):
    """No 500s; status codes, content types, headers and bodies match the document."""
    method, path = label.split()
    operation = api_schema[path][method]

    # schemathesis' own pytest plugin does not load fixtures under pytest 9, so drive
    # hypothesis directly; bounded so the whole file runs in seconds.
    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        # A schema cannot say "has a word" or "from before to": such requests are valid by
        # the document yet get the documented 400, so that one check does not apply.
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                               excluded_checks=[checks.positive_data_acceptance])

    check()
