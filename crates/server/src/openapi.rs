//! The API's OpenAPI description, generated from the route table: every `/api/v1` route and
//! `/healthz`, with its gate as the security it needs and the errors every route can answer.

use crate::routes::{Gate, ROUTES};
use serde_json::{Map, Value, json};

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/") || r.path == "/healthz")
    {
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .chain(query_params(r.path))
            .collect();
        let mut responses = Map::new();
        responses.insert("200".into(), json!({"description": "OK"}));
        if r.gate != Gate::Public {
            responses.insert(
                "401".into(),
                json!({"$ref": "#/components/responses/Error"}),
            );
            responses.insert(
                "403".into(),
                json!({"$ref": "#/components/responses/Error"}),
            );
        }
        responses.insert(
            "404".into(),
            json!({"$ref": "#/components/responses/Error"}),
        );
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{:?}", r.handler),
            "parameters": params,
            "responses": responses,
            "x-gate": format!("{:?}", r.gate),
        });
        if r.gate != Gate::Public {
            op["security"] = json!([{"session": []}, {"proxy": []}]);
        }
        if r.method != "GET" && r.gate != Gate::Public {
            op["parameters"]
                .as_array_mut()
                .expect("array")
                .push(json!({"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"}, "description": "The `csrf` of GET /api/v1/me"}));
        }
        if r.path == "/api/v1/session" && r.method == "POST" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["email", "password"],
                "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}});
        }
        paths
            .entry(r.path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(r.method.to_ascii_lowercase(), op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "orgmirror", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Each person sees their own mirror, leaders their teams, analysts the organization. Every person-level read is recorded in the access log."},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "om_session"},
                "proxy": {"type": "apiKey", "in": "header", "name": "X-Forwarded-Email", "description": "Only with --trust-proxy-header, and only from loopback."}
            },
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string", "enum": ["unauthenticated", "forbidden", "csrf", "cross_origin", "not_found", "no_person", "no_analysis", "wrong_credentials", "locked", "throttled", "too_large", "bad_request", "internal"]},
                    "message": {"type": "string"}}}}}}}}}
        }
    })
}

fn query_params(path: &str) -> Vec<Value> {
    let q = |name: &str, t: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": t}});
    match path {
        "/api/v1/me/mirror"
        | "/api/v1/people/{pseudonym}/mirror"
        | "/api/v1/teams/{leader}"
        | "/api/v1/org/mirror"
        | "/api/v1/org/groups"
        | "/api/v1/org/export/{table}" => {
            vec![q("window", "string")]
        }
        "/api/v1/org/findings" => vec![q("window", "string"), q("top", "integer")],
        "/api/v1/audit" => vec![
            q("before", "integer"),
            q("limit", "integer"),
            q("viewer", "string"),
        ],
        _ => Vec::new(),
    }
}
