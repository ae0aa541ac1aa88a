import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_documents_error_responses(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    create_version = schema["paths"]["/api/v1/models/{name}/versions/"]["post"]
    assert {"201", "400", "401", "403", "404", "409"} <= set(
        create_version["responses"]
    )
    error_ref = create_version["responses"]["400"]["content"]["application/json"]
    assert error_ref["schema"]["$ref"].endswith("/Error")
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn.jsdelivr" not in response.content


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _resolve(schema, node):
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if "allOf" in node:
        return _resolve(schema, node["allOf"][0])
    return node


def test_the_drift_report_body_has_a_real_schema_and_the_design_example(schema):
    post = schema["paths"]["/api/v1/drift/reports/"]["post"]
    body = post["requestBody"]["content"]["application/json"]
    request = _resolve(schema, body["schema"])
    feature = _resolve(schema, request["properties"]["features"]["items"])
    side = _resolve(schema, feature["properties"]["reference"])

    assert {"name", "kind", "reference", "current"} <= set(feature["required"])
    assert {"values", "bin_edges", "counts", "categories"} <= set(side["properties"])
    assert side["properties"]["counts"]["items"]["type"] == "integer"
    example = next(iter(body["examples"].values()))["value"]
    assert example["features"][2]["reference"] == {"categories": {"DE": 500, "FR": 300}}


def test_drift_histograms_are_typed(schema):
    feature = schema["components"]["schemas"]["FeatureDrift"]["properties"]
    histogram = _resolve(schema, feature["reference_histogram"])

    assert histogram["properties"]["bin_edges"]["type"] == "array"
    assert histogram["properties"]["categories"]["type"] == "object"


def test_component_names_read_well(schema):
    names = set(schema["components"]["schemas"])

    assert not [name for name in names if name.endswith("RequestRequest")]
    assert not [name for name in names if any(c.isdigit() for c in name)]
    assert {"SimulationRequest", "DriftReportRequest", "VersionStatusEnum"} <= names


def test_the_simulation_documents_rule_level_changes(schema):
    post = schema["paths"]["/api/v1/simulations/"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    result = _resolve(
        schema, post["responses"]["200"]["content"]["application/json"]["schema"]
    )

    assert any(
        isinstance(item.get("rules"), dict)
        for example in examples.values()
        for item in example["value"]["upsert"]
    )
    summary = _resolve(schema, result["properties"]["summary"])
    assert summary["properties"]["newly_failing"]["type"] == "integer"


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("MLModel", "owner"),
        ("Version", "created_by"),
        ("Version", "submitted_by"),
        ("Environment", "requires"),
        ("Waiver", "revoked_by"),
        ("DriftAlert", "acknowledged_by"),
        ("DriftAlert", "resolved_by"),
        ("DriftReport", "submitted_by"),
        ("LogEntry", "actor"),
    ],
)
def test_fields_that_can_be_null_are_declared_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["nullable"]


def test_every_read_only_field_over_a_nullable_column_is_nullable(schema):
    """The generic rule, so a serializer added later is covered too."""
    from rest_framework.serializers import ModelSerializer

    from mlgov.api.schema import _model_field_is_nullable

    components = schema["components"]["schemas"]
    checked = 0
    for cls in _subclasses(ModelSerializer):
        if cls.__module__.split(".")[0] not in (
            "registry",
            "governance",
            "drift",
            "mlgov",
        ):
            continue
        component = components.get(cls.__name__.removesuffix("Serializer"))
        if component is None:
            continue
        for name, field in cls().fields.items():
            if _model_field_is_nullable(field):
                checked += 1
                assert component["properties"][name].get("nullable"), (cls, name)
    assert checked >= 9


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_filtered_lists_document_their_400(schema):
    for path in ("/api/v1/models/", "/api/v1/waivers/", "/api/v1/audit/"):
        responses = schema["paths"][path]["get"]["responses"]
        assert "400" in responses, path
        assert "refused" in responses["400"]["description"]


def _request_schema(schema, path, method):
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _resolve(schema, body["schema"])


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/deployments/", "post"),
        ("/api/v1/deployments/check/", "post"),
        ("/api/v1/models/", "post"),
        ("/api/v1/models/{name}/", "patch"),
        ("/api/v1/models/{name}/versions/", "post"),
        ("/api/v1/drift/reports/", "post"),
    ],
)
def test_request_bodies_that_refuse_unknown_fields_say_so(schema, path, method):
    assert _request_schema(schema, path, method)["additionalProperties"] is False


def test_every_strict_request_body_declares_no_additional_properties():
    """Every operation whose body is a StrictInputSerializer (which answers
    400 to a field it does not declare), and every component nested in one."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.plumbing import force_instance

    from mlgov.api.serializers import StrictInputSerializer

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    strict = []
    for path, _regex, method, view in generator._get_paths_and_endpoints():
        if method not in ("POST", "PUT", "PATCH"):
            continue
        serializer = force_instance(view.schema.get_request_serializer())
        if not isinstance(serializer, StrictInputSerializer):
            continue
        body = _request_schema(schema, path, method.lower())
        strict.append(f"{method} {path}")
        assert body.get("additionalProperties") is False, f"{method} {path}"
        for field in body["properties"].values():
            nested = field.get("$ref") and _resolve(schema, field)
            if nested and nested.get("type") == "object":
                assert nested.get("additionalProperties") is False, field["$ref"]

    assert "POST /api/v1/deployments/" in strict
    assert len(strict) >= 15


@pytest.mark.parametrize(
    "component", ["PolicyScopeRequest", "SimulationPolicyScopeRequest"]
)
def test_a_policy_scope_names_model_kinds_from_the_registry(schema, component):
    scope = schema["components"]["schemas"][component]

    kinds = _resolve(schema, scope["properties"]["model_kinds"]["items"])
    assert kinds["enum"] == ["predictive", "llm_application", "vendor_model"]
