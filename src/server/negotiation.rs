//! Content negotiation: request bodies (JSON, YAML, protobuf, the four patch types) and
//! response forms (JSON, or a server-side `meta.k8s.io/v1` Table for `kubectl get`).
//!
//! Table cells follow kube's printers (`pkg/printers/internalversion/printers.go`):
//! `printCertificateSigningRequest`, `printRole`, `printRoleBinding`, ...; durations use
//! apimachinery's `duration.HumanDuration`.

use crate::api::csr::CertificateSigningRequest;
use crate::api::{Status, Time};
use crate::sim::PatchType;
use serde_json::{json, Value};

/// kube-apiserver's request body limit (`maxRequestBodyBytes`, 3 MiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;
/// Content-Type of a Table response.
pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";
pub const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// The media type without parameters, lower-cased.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The apiVersion of the Table the Accept header asks for. As `NegotiateMediaTypeOptions`
/// reads the clauses in order, the first one the endpoint can answer decides: a
/// `as=Table;g=meta.k8s.io` clause of `v=v1` or `v=v1beta1` is that Table (upstream's
/// `asTable` sets the negotiated group version on the Table and on each row's
/// PartialObjectMetadata); a plain clause or a PartialObjectMetadata one is no Table; a
/// conversion the endpoint does not serve (another version, group or kind) is skipped.
pub fn table_version(accept: &str) -> Option<&'static str> {
    for part in clauses_by_preference(accept) {
        if !acceptable_media(part) {
            continue;
        }
        match conversion(part) {
            Conversion::Unsupported => continue,
            Conversion::Table(v) => return Some(v),
            Conversion::None | Conversion::Partial => return None,
        }
    }
    None
}

/// The clauses of an Accept header in the order goautoneg's `ParseAccept` leaves them: Go's
/// `sort.Sort` (an insertion sort for the usual dozen clauses or fewer) with its `Less` — a
/// higher `q` first, else a concrete type or subtype before a wildcard. That `Less` is no
/// strict order: a concrete clause moves before a wildcard whatever their `q`
/// (`*/*, application/yaml;q=0.5` tries YAML first). A clause without one `/` (other than `*`)
/// is dropped; a `q` Go's `ParseFloat` cannot read is 0.
fn clauses_by_preference(accept: &str) -> Vec<&str> {
    struct Clause<'a> {
        q: f32,
        wild_type: bool,
        wild_sub: bool,
        text: &'a str,
    }
    let mut clauses: Vec<Clause> = Vec::new();
    for part in accept.split(',') {
        let part = part.trim_matches(' ');
        let mut params = part.split(';');
        let range = params.next().unwrap_or("");
        let sp: Vec<&str> = range.split('/').collect();
        let ty = sp[0].trim_matches(' ');
        let sub = match sp.len() {
            1 if ty == "*" => "*",
            2 => sp[1].trim_matches(' '),
            _ => continue,
        };
        let mut q = 1.0;
        for p in params {
            if let Some((k, v)) = p.split_once('=') {
                if k.trim_matches(' ') == "q" {
                    q = v.parse::<f32>().unwrap_or(0.0);
                }
            }
        }
        clauses.push(Clause {
            q,
            wild_type: ty == "*",
            wild_sub: sub == "*",
            text: part,
        });
    }
    let less = |a: &Clause, b: &Clause| {
        a.q > b.q || (!a.wild_type && b.wild_type) || (!a.wild_sub && b.wild_sub)
    };
    // `insertionSort`.
    for i in 1..clauses.len() {
        let mut j = i;
        while j > 0 && less(&clauses[j], &clauses[j - 1]) {
            clauses.swap(j, j - 1);
            j -= 1;
        }
    }
    clauses.into_iter().map(|c| c.text).collect()
}

/// The YAML media type (`runtime.ContentTypeYAML`).
pub const YAML: &str = "application/yaml";

/// Does the Accept header negotiate the YAML serializer (`NegotiateMediaTypeOptions`)? The
/// clauses are read by preference, and the first one some serializer accepts decides: for
/// each clause the serializers are tried in the apiserver's order — JSON, YAML, protobuf — so
/// `*/*` and `application/*` are JSON; a clause asking for a conversion the endpoint does not
/// serve is skipped (a Table of an endpoint without a TableConvertor: `table_ok` false), and
/// so is a YAML clause with a `stream` parameter (YAML has no stream serializer). No clause
/// accepted is the 406 of the caller, written as raw JSON, so that is no YAML either.
pub fn wants_yaml(accept: &str, table_ok: bool) -> bool {
    for part in clauses_by_preference(accept) {
        // Only the three serializers' types (and wildcards) match a clause.
        if !matches!(
            media_type(part).as_str(),
            "*/*" | "application/*" | "application/json" | YAML | PROTOBUF
        ) {
            continue;
        }
        match conversion(part) {
            Conversion::Unsupported => continue,
            Conversion::Table(_) if !table_ok => continue,
            _ => {}
        }
        if media_type(part) == YAML {
            if clause_param(&clause_params(part), "stream").is_some_and(|v| !v.is_empty()) {
                continue;
            }
            return true;
        }
        return false;
    }
    false
}

/// A watch whose Accept header negotiates YAML: YAML has no stream serializer, so
/// `NegotiateOutputMediaTypeStream` refuses it with this 406, listing the stream media types
/// (after the watch itself was opened: authorization and the resourceVersion checks come
/// first). The Status is then written in the negotiated YAML.
pub fn watch_not_acceptable(accept: &str) -> Option<Status> {
    wants_yaml(accept, true).then(|| {
        Status::failure(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch",
        )
    })
}

/// The Content-Type of a YAML answer for the JSON one `json_content_type` would have had
/// (`application/yaml`, and a Table's `;as=Table;v=…;g=meta.k8s.io` kept).
pub fn yaml_content_type(json_content_type: &str) -> String {
    match json_content_type.strip_prefix("application/json") {
        Some(params) => format!("{YAML}{params}"),
        None => YAML.to_string(),
    }
}

/// The `as=` conversion one Accept clause asks for (`AllowsMediaTypeTransform`: only
/// `meta.k8s.io` `v1`/`v1beta1` Tables and PartialObjectMetadata(List)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conversion {
    None,
    Table(&'static str),
    Partial,
    Unsupported,
}

/// The parameters of one Accept clause (`as=Table`, `v=v1`, …), blanks removed.
fn clause_params(part: &str) -> Vec<String> {
    part.split(';')
        .skip(1)
        .map(|p| p.trim().replace(' ', ""))
        .collect()
}

/// The value of parameter `k` among [`clause_params`].
fn clause_param<'a>(params: &'a [String], k: &str) -> Option<&'a str> {
    params
        .iter()
        .find_map(|p| p.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
}

fn conversion(part: &str) -> Conversion {
    let params = clause_params(part);
    let get = |k: &str| clause_param(&params, k);
    let Some(kind) = get("as") else {
        return Conversion::None;
    };
    let version = match (get("g"), get("v")) {
        (Some("meta.k8s.io"), Some("v1")) => TABLE_V1,
        (Some("meta.k8s.io"), Some("v1beta1")) => TABLE_V1BETA1,
        _ => return Conversion::Unsupported,
    };
    match kind {
        "Table" => Conversion::Table(version),
        "PartialObjectMetadata" | "PartialObjectMetadataList" => Conversion::Partial,
        _ => Conversion::Unsupported,
    }
}

/// The two Table apiVersions.
pub const TABLE_V1: &str = "meta.k8s.io/v1";
pub const TABLE_V1BETA1: &str = "meta.k8s.io/v1beta1";

/// The Content-Type of a Table answer in `api_version` (`WriteObjectNegotiated`: the
/// serializer's media type with the conversion's `as`, `v` and `g`).
pub fn table_content_type(api_version: &str) -> &'static str {
    if api_version == TABLE_V1BETA1 {
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
    } else {
        TABLE_CONTENT_TYPE
    }
}

/// A `meta.k8s.io` PartialObjectMetadata transform and the apiVersion it answers in
/// (`meta.k8s.io/v1` or `meta.k8s.io/v1beta1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partial {
    Object(&'static str),
    List(&'static str),
}

/// Does the Accept header ask for `PartialObjectMetadata(List)`? The clauses are read in
/// order: a clause without `as` (no transform) or with another kind (a Table) decides
/// against; one for another group or version is skipped (the endpoint does not allow it).
pub fn wants_partial(accept: &str) -> Option<Partial> {
    for part in accept.split(',') {
        let params = clause_params(part);
        let get = |k: &str| clause_param(&params, k);
        let kind = get("as")?;
        if get("g") != Some("meta.k8s.io") {
            continue;
        }
        let version = match get("v") {
            Some("v1") => "meta.k8s.io/v1",
            Some("v1beta1") => "meta.k8s.io/v1beta1",
            _ => continue,
        };
        return match kind {
            "PartialObjectMetadata" => Some(Partial::Object(version)),
            "PartialObjectMetadataList" => Some(Partial::List(version)),
            _ => None,
        };
    }
    None
}

/// Content-Type of an aggregated discovery answer (`WriteObjectNegotiated` with the GVK in the
/// content type: `;g=…;v=…;as=…` after the serializer's media type).
pub const AGGREGATED_DISCOVERY_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Does the Accept header of a `/api` or `/apis` request choose aggregated discovery
/// (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`)? The clauses are read by preference
/// (`q`, then order, as goautoneg sorts them): the first JSON clause without a conversion
/// decides for the unaggregated documents; one asking for a conversion the endpoint does not
/// serve (`v2beta1`, which 1.33 no longer serves, or any other kind) is skipped
/// (`DiscoveryEndpointRestrictions`); protobuf clauses are skipped too (csrsim answers
/// discovery in JSON only).
pub fn wants_aggregated_discovery(accept: &str) -> bool {
    let mut clauses: Vec<(f32, Vec<String>, String)> = accept
        .split(',')
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            let params: Vec<String> = c
                .split(';')
                .skip(1)
                .map(|p| p.trim().replace(' ', ""))
                .collect();
            let q = params
                .iter()
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q, params, media_type(c))
        })
        .collect();
    clauses.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (q, params, media) in clauses {
        if q <= 0.0 || !matches!(media.as_str(), "application/json" | "application/*" | "*/*") {
            continue;
        }
        let get = |k: &str| {
            params
                .iter()
                .find_map(|p| p.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
        };
        match (get("g"), get("v"), get("as")) {
            (None, None, None) => return false,
            (Some("apidiscovery.k8s.io"), Some("v2"), Some("APIGroupDiscoveryList")) => {
                return true
            }
            _ => continue,
        }
    }
    false
}

/// `asPartialObjectMetadata`: the object's metadata under `PartialObjectMetadata`.
pub fn partial_object(v: &Value, api_version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": api_version,
        "metadata": v.get("metadata").cloned().unwrap_or(json!({})),
    })
}

/// `asPartialObjectMetadataList`: each item as a `PartialObjectMetadata` (its kind set), the
/// list's resourceVersion, continue and remainingItemCount; no items is `null` (the list is
/// built by appending).
pub fn partial_list(v: &Value, api_version: &str) -> Value {
    let items: Vec<Value> = v
        .get("items")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|o| partial_object(o, api_version)).collect())
        .unwrap_or_default();
    let mut meta = serde_json::Map::new();
    for k in ["resourceVersion", "continue", "remainingItemCount"] {
        if let Some(x) = v.get("metadata").and_then(|m| m.get(k)) {
            meta.insert(k.into(), x.clone());
        }
    }
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": api_version,
        "metadata": meta,
        "items": if items.is_empty() { Value::Null } else { Value::Array(items) },
    })
}

/// A GET or list answer in the PartialObjectMetadata form asked for, or the 406
/// `errNotAcceptable` of asking an object for a list or a list for an object (`%T` of the
/// registry's internal type).
pub fn partial_response(
    p: Partial,
    v: &Value,
    group: &str,
    kind: &str,
) -> Result<Value, crate::api::Status> {
    let is_list = v.get("items").is_some_and(Value::is_array);
    let package = match group {
        "" => "core",
        g => g.split('.').next().unwrap_or(g),
    };
    match (p, is_list) {
        (Partial::Object(av), false) => Ok(partial_object(v, av)),
        (Partial::List(av), true) => Ok(partial_list(v, av)),
        (Partial::Object(_), true) => Err(crate::api::Status::failure(
            406,
            "NotAcceptable",
            format!("you requested PartialObjectMetadata, but the requested object is a list (*{package}.{kind}List)"),
        )),
        (Partial::List(_), false) => Err(crate::api::Status::failure(
            406,
            "NotAcceptable",
            format!("you requested PartialObjectMetadataList, but the requested object is not a list (*{package}.{kind})"),
        )),
    }
}

/// Is some offered type one we can answer (JSON, anything, or protobuf answered as JSON),
/// with no conversion or one the endpoint serves?
pub fn acceptable(accept: &str) -> bool {
    some_clause(accept, |c| c != Conversion::Unsupported)
}

/// An empty Accept header, or one clause of a type we answer whose conversion passes `ok`.
fn some_clause(accept: &str, ok: impl Fn(Conversion) -> bool) -> bool {
    accept.trim().is_empty()
        || accept
            .split(',')
            .any(|part| acceptable_media(part) && ok(conversion(part)))
}

/// One clause's media type, conversions aside.
fn acceptable_media(part: &str) -> bool {
    let t = media_type(part);
    matches!(
        t.as_str(),
        "*/*"
            | "application/*"
            | "application/json"
            | PROTOBUF
            | "application/yaml"
            | "text/plain"
            | "application/vnd.kubernetes.protobuf;stream=watch"
    ) || t.starts_with("application/json")
}

/// [`acceptable`] for an endpoint without a `TableConvertor` (the access and self-subject
/// reviews): `AllowsMediaTypeTransform` refuses an `as=Table` clause, so it is skipped, and
/// an Accept header of only such clauses is the 406 of `NegotiateOutputMediaType`.
pub fn acceptable_without_table(accept: &str) -> bool {
    some_clause(accept, |c| {
        matches!(c, Conversion::None | Conversion::Partial)
    })
}

/// 415 as the apiserver's `NewUnsupportedMediaTypeError` words it.
fn unsupported(accepted: &str, _content_type: &str) -> Status {
    Status::failure(
        415,
        "UnsupportedMediaType",
        format!("the body of the request was in an unknown format - accepted media types include: {accepted}"),
    )
}

/// Decode a create/update body by Content-Type: JSON, YAML or Kubernetes protobuf.
pub fn decode_object(content_type: &str, body: &[u8]) -> Result<Value, Status> {
    let mt = media_type(content_type);
    match mt.as_str() {
        "" | "application/json" => decode_json(body),
        "application/yaml" => decode_yaml(body),
        PROTOBUF => crate::server::protobuf::decode(body)
            .map_err(|e| Status::bad_request(format!("error decoding request body: {e}"))),
        _ => Err(unsupported(
            "application/json, application/yaml, application/vnd.kubernetes.protobuf",
            &mt,
        )),
    }
}

/// The patch type of a PATCH request's Content-Type.
pub fn patch_type(content_type: &str) -> Result<PatchType, Status> {
    Ok(match media_type(content_type).as_str() {
        "application/json-patch+json" => PatchType::Json,
        "application/merge-patch+json" => PatchType::Merge,
        "application/strategic-merge-patch+json" => PatchType::StrategicMerge,
        "application/apply-patch+yaml" | "application/apply-patch+json" => PatchType::Apply,
        other => {
            return Err(unsupported(
                "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
                other,
            ))
        }
    })
}

/// Decode a PATCH document (JSON; apply patches may be YAML).
pub fn decode_patch(pt: PatchType, body: &[u8]) -> Result<Value, Status> {
    match pt {
        PatchType::Apply => decode_json(body).or_else(|_| decode_yaml(body)),
        _ => decode_json(body),
    }
}

pub fn decode_json(body: &[u8]) -> Result<Value, Status> {
    serde_json::from_slice(body)
        .map_err(|e| Status::bad_request(format!("error decoding request body: {e}")))
}

/// YAML alias expansion: events replayed from aliases across one body, at most. A "billion
/// laughs" body (nested aliases, each level repeating the one below) expands exponentially;
/// real Kubernetes objects use few or no aliases. go-yaml (under sigs.k8s.io/yaml) refuses such
/// documents too, with [`EXCESSIVE_ALIASING`].
pub const MAX_YAML_ALIAS_REPLAYED_EVENTS: usize = 50_000;
/// go-yaml's error for an alias bomb (`decode.go`, the CVE-2019-11253 fix).
pub const EXCESSIVE_ALIASING: &str = "yaml: document contains excessive aliasing";

fn decode_yaml(body: &[u8]) -> Result<Value, Status> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Status::bad_request("error decoding request body: invalid UTF-8"))?;
    let text = first_yaml_document(text);
    let mut options = serde_saphyr::Options::default();
    options.alias_limits.max_total_replayed_events = MAX_YAML_ALIAS_REPLAYED_EVENTS;
    // sigs.k8s.io/yaml's `YAMLToJSON` (yaml.v2, not strict): a repeated key's last value
    // wins; strict decoding reports the duplicates separately (`gojson::yaml_duplicate_keys`).
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        if is_alias_bomb(&e) {
            Status::bad_request(format!("error decoding request body: {EXCESSIVE_ALIASING}"))
        } else {
            Status::bad_request(format!("error decoding request body: {e}"))
        }
    })
}

/// The first document of a YAML stream: yaml.v2's `Unmarshal` (under sigs.k8s.io/yaml's
/// `YAMLToJSON`) decodes the first document and never reads the rest, so a body of several
/// documents is its first one, whatever follows. A document ends at a `---` or `...` marker
/// line (column 0, then a blank or the end of the line), which YAML forbids inside content;
/// a `---` before any content (after comments, blank lines, directives) starts the first one.
fn first_yaml_document(text: &str) -> &str {
    let marker = |line: &str, m: &str| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
    };
    let mut started = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        if marker(content, "---") || marker(content, "...") {
            if started {
                return &text[..offset];
            }
            started = content.starts_with("---");
        } else {
            let t = content.trim();
            let directive = content.starts_with('%') && !started;
            if !(t.is_empty() || t.starts_with('#') || directive) {
                started = true;
            }
        }
        offset += line.len();
    }
    text
}

/// Whether a YAML error is one of the alias-expansion limits (under any wrapper).
fn is_alias_bomb(e: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    match e {
        E::WithSnippet { error, .. } | E::AliasError { error, .. } => is_alias_bomb(error),
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => true,
        _ => false,
    }
}

/// apimachinery `duration.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// `translateTimestampSince`: `<unknown>` for a missing timestamp.
fn age(obj: &Value, now: Time) -> String {
    match obj
        .pointer("/metadata/creationTimestamp")
        .and_then(|v| v.as_str())
        .and_then(|s| Time::parse_rfc3339(s).ok())
    {
        Some(t) => human_duration(now.since(t)),
        None => "<unknown>".into(),
    }
}

fn col(name: &str, type_: &str, format: &str, description: &str, priority: i32) -> Value {
    json!({"name": name, "type": type_, "format": format, "description": description, "priority": priority})
}

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// Column definitions of the Table for a resource.
pub fn columns(resource: &str) -> Vec<Value> {
    let name = col("Name", "string", "name", NAME_DESC, 0);
    let age = col("Age", "string", "", AGE_DESC, 0);
    match resource {
        "certificatesigningrequests" => vec![
            name,
            age,
            col("SignerName", "string", "", "signerName indicates the requested signer, and is a qualified name.", 0),
            col("Requestor", "string", "", "request contains an x509 certificate signing request encoded in a \"CERTIFICATE REQUEST\" PEM block.", 0),
            col("RequestedDuration", "string", "", "expirationSeconds is the requested duration of validity of the issued certificate.", 0),
            col("Condition", "string", "", "conditions applied to the request. Known conditions are \"Approved\", \"Denied\", and \"Failed\".", 0),
        ],
        "roles" | "clusterroles" => vec![name, col("Created At", "date", "", AGE_DESC, 0)],
        "rolebindings" | "clusterrolebindings" => vec![
            name,
            col("Role", "string", "", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.", 0),
            age,
            col("Users", "string", "", "Users in the roleref", 1),
            col("Groups", "string", "", "Groups in the roleref", 1),
            col("ServiceAccounts", "string", "", "ServiceAccounts in the roleref", 1),
        ],
        "secrets" => vec![name, col("Type", "string", "", "The type of the secret", 0), col("Data", "string", "", "The number of entries in the secret", 0), age],
        "namespaces" => vec![name, col("Status", "string", "", "The status of the namespace", 0), age],
        "pods" => vec![
            name,
            col("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0),
            col("Status", "string", "", "The aggregate status of the containers in this pod.", 0),
            col("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
            age,
        ],
        _ => vec![name, age],
    }
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(|x| x.as_str()).unwrap_or("")
}

/// The cells of one row.
pub fn cells(resource: &str, obj: &Value, now: Time) -> Vec<Value> {
    let name = json!(s(obj, "/metadata/name"));
    match resource {
        "certificatesigningrequests" => {
            let csr: Option<CertificateSigningRequest> = serde_json::from_value(obj.clone()).ok();
            let signer = s(obj, "/spec/signerName");
            let requested = obj
                .pointer("/spec/expirationSeconds")
                .and_then(|v| v.as_i64())
                .map(human_duration)
                .unwrap_or_else(|| "<none>".into());
            let condition = csr
                .map(|c| c.display_condition())
                .unwrap_or_else(|| "Pending".into());
            vec![
                name,
                json!(age(obj, now)),
                json!(if signer.is_empty() { "<none>" } else { signer }),
                json!(s(obj, "/spec/username")),
                json!(requested),
                json!(condition),
            ]
        }
        "roles" | "clusterroles" => vec![
            name,
            obj.pointer("/metadata/creationTimestamp")
                .cloned()
                .unwrap_or(Value::Null),
        ],
        "rolebindings" | "clusterrolebindings" => {
            let (mut users, mut groups, mut sas) = (Vec::new(), Vec::new(), Vec::new());
            for sub in obj
                .get("subjects")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                let n = s(sub, "/name").to_string();
                match s(sub, "/kind") {
                    "User" => users.push(n),
                    "Group" => groups.push(n),
                    "ServiceAccount" => sas.push(format!("{}/{n}", s(sub, "/namespace"))),
                    _ => {}
                }
            }
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    s(obj, "/roleRef/kind"),
                    s(obj, "/roleRef/name")
                )),
                json!(age(obj, now)),
                json!(users.join(", ")),
                json!(groups.join(", ")),
                json!(sas.join(", ")),
            ]
        }
        "secrets" => {
            let n = obj
                .get("data")
                .and_then(|d| d.as_object())
                .map(|d| d.len())
                .unwrap_or(0);
            vec![name, json!(s(obj, "/type")), json!(n), json!(age(obj, now))]
        }
        "namespaces" => vec![name, json!(s(obj, "/status/phase")), json!(age(obj, now))],
        _ => vec![name, json!(age(obj, now))],
    }
}

/// `TableOptions.includeObject`: what each row's `object` holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    /// `Metadata` (the default): a PartialObjectMetadata.
    #[default]
    Metadata,
    /// `None`: nothing (`null`).
    None,
    /// `Object`: the whole object in the endpoint's version, kind and apiVersion set.
    Object,
}

impl IncludeObject {
    /// `optionsForTransform`: the query's `includeObject`, checked by `ValidateTableOptions`
    /// (400 `Unable to convert to Table as requested: …`).
    pub fn parse(v: Option<&str>) -> Result<IncludeObject, Status> {
        match v.unwrap_or("") {
            "" | "Metadata" => Ok(IncludeObject::Metadata),
            "None" => Ok(IncludeObject::None),
            "Object" => Ok(IncludeObject::Object),
            other => Err(Status::bad_request(format!(
                "Unable to convert to Table as requested: {}",
                crate::validation::FieldError::not_supported(
                    "includeObject",
                    other,
                    &["Metadata", "None", "Object"]
                )
            ))),
        }
    }
}

fn row(
    resource: &str,
    obj: &Value,
    now: Time,
    include: IncludeObject,
    table_version: &str,
) -> Value {
    let object = match include {
        IncludeObject::Metadata => {
            let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
            json!({"kind": "PartialObjectMetadata", "apiVersion": table_version, "metadata": meta})
        }
        IncludeObject::None => Value::Null,
        IncludeObject::Object => {
            // List items carry no kind and apiVersion; the conversion to the endpoint's
            // version sets them first.
            let mut out = serde_json::Map::new();
            if let Some(info) = crate::api::resources::ALL
                .iter()
                .find(|r| r.resource == resource)
            {
                out.insert("kind".into(), json!(info.kind));
                out.insert("apiVersion".into(), json!(info.api_version()));
            }
            if let Some(m) = obj.as_object() {
                for (k, v) in m {
                    if !out.contains_key(k) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(out)
        }
    };
    json!({
        "cells": cells(resource, obj, now),
        "object": object,
    })
}

/// A Table (of `api_version`, v1 or v1beta1) for a list (`items`) or a single object, its
/// rows' objects as `includeObject` asks. `with_columns` is false for watch events after the
/// first (the apiserver's watch encoder sets NoHeaders after the first event).
pub fn table_with(
    resource: &str,
    v: &Value,
    now: Time,
    with_columns: bool,
    include: IncludeObject,
    api_version: &str,
) -> Value {
    let (rows, mut meta) = match v.get("items").and_then(|i| i.as_array()) {
        Some(items) => (
            items
                .iter()
                .map(|o| row(resource, o, now, include, api_version))
                .collect::<Vec<_>>(),
            v.get("metadata").cloned().unwrap_or(json!({})),
        ),
        None => (
            vec![row(resource, v, now, include, api_version)],
            json!({"resourceVersion": s(v, "/metadata/resourceVersion")}),
        ),
    };
    if !meta.is_object() {
        meta = json!({});
    }
    let mut t = json!({"kind": "Table", "apiVersion": api_version, "metadata": meta, "columnDefinitions": Value::Null, "rows": rows});
    if with_columns {
        t["columnDefinitions"] = Value::Array(columns(resource));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v1 Table with metadata rows.
    fn table(resource: &str, v: &Value, now: Time, with_columns: bool) -> Value {
        table_with(
            resource,
            v,
            now,
            with_columns,
            IncludeObject::Metadata,
            TABLE_V1,
        )
    }

    /// Which Accept headers get aggregated discovery on `/api` and `/apis`
    /// (`aggregated.WrappedHandler`: the negotiated clause's conversion decides).
    #[test]
    fn aggregated_discovery_negotiation() {
        let v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
        let v2beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
        let kubectl = format!("{v2},{v2beta1},application/json");
        let cases: Vec<(String, bool)> = vec![
            (kubectl, true),
            (v2.into(), true),
            ("application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList".into(), true),
            ("".into(), false),
            ("application/json".into(), false),
            ("*/*".into(), false),
            // 1.33 serves no v2beta1: the plain clause after it decides.
            (format!("{v2beta1},application/json"), false),
            (format!("application/json,{v2}"), false),
            // preference by q before order
            (format!("application/json;q=0.5,{v2}"), true),
            (format!("{v2};q=0,application/json"), false),
            // a protobuf clause is skipped (discovery is answered in JSON only)
            (format!("application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,{v2}"), true),
            ("application/json;g=meta.k8s.io;v=v1;as=Table,application/json".into(), false),
        ];
        for (accept, want) in cases {
            assert_eq!(wants_aggregated_discovery(&accept), want, "{accept}");
        }
    }

    /// Which Accept headers get the YAML serializer (`NegotiateMediaTypeOptions`: clauses by
    /// `q`, concrete types before wildcards, then as sent; per clause JSON, YAML, protobuf).
    #[test]
    fn yaml_negotiation() {
        let t = "application/yaml;as=Table;v=v1;g=meta.k8s.io";
        let cases: &[(&str, bool, bool)] = &[
            // (Accept, table endpoint answer, review endpoint answer)
            ("", false, false),
            ("application/yaml", true, true),
            ("application/yaml, application/json", true, true),
            ("application/json, application/yaml", false, false),
            ("application/json;q=0.5, application/yaml", true, true),
            ("application/yaml;q=0.5, application/json", false, false),
            // a wildcard is JSON, the serializers' first; a concrete type sorts before it
            ("*/*", false, false),
            ("application/*", false, false),
            ("*/*, application/yaml", true, true),
            // goautoneg's `Less` puts a concrete type before a wildcard whatever the `q`
            ("*/*, application/yaml;q=0.5", true, true),
            // a `q` ParseFloat cannot read is 0
            ("application/yaml;q=x, application/json;q=0.1", false, false),
            // protobuf is negotiated (csrsim answers it as JSON)
            (
                "application/vnd.kubernetes.protobuf, application/yaml",
                false,
                false,
            ),
            // a clause no serializer takes is skipped
            ("text/html, application/yaml", true, true),
            ("text/plain, application/yaml", true, true),
            // YAML has no stream serializer
            (
                "application/yaml;stream=watch, application/json",
                false,
                false,
            ),
            ("application/yaml;stream=watch", false, false),
            // conversions: a Table in YAML; none where the endpoint has no TableConvertor
            (t, true, false),
            (
                "application/yaml;as=Table;v=v1;g=meta.k8s.io, application/yaml",
                true,
                true,
            ),
            (
                "application/yaml;as=Table;v=v2;g=meta.k8s.io, application/json",
                false,
                false,
            ),
            (
                "application/yaml;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
                true,
                true,
            ),
            (
                "application/json;as=Table;v=v1;g=meta.k8s.io, application/yaml",
                false,
                true,
            ),
            // nothing acceptable: the 406 is raw JSON
            ("text/html", false, false),
        ];
        for (accept, table, review) in cases {
            assert_eq!(wants_yaml(accept, true), *table, "{accept}");
            assert_eq!(wants_yaml(accept, false), *review, "review {accept}");
        }
        assert_eq!(
            watch_not_acceptable("application/yaml").map(|s| (s.code, s.message)),
            Some((406, "only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch".to_string()))
        );
        assert!(watch_not_acceptable(t).is_some());
        assert!(watch_not_acceptable("application/json;stream=watch").is_none());
        assert!(watch_not_acceptable("application/json, application/yaml").is_none());
        assert_eq!(yaml_content_type("application/json"), "application/yaml");
        assert_eq!(
            yaml_content_type(TABLE_CONTENT_TYPE),
            "application/yaml;as=Table;v=v1;g=meta.k8s.io"
        );
    }

    #[test]
    fn a_yaml_body_is_its_first_document() {
        let cases = [
            ("a: 1\n", "a: 1\n"),
            ("a: 1\n---\nb: 2\n", "a: 1\n"),
            ("---\na: 1\n---\nb: 2\n", "---\na: 1\n"),
            (
                "# c\n%YAML 1.1\n--- \na: 1\n...\nb: [\n",
                "# c\n%YAML 1.1\n--- \na: 1\n",
            ),
            ("a: |\n  x\n  ---\n---x: 1\n", "a: |\n  x\n  ---\n---x: 1\n"),
            ("a: 1\r\n---\r\nb: 2\r\n", "a: 1\r\n"),
        ];
        for (text, first) in cases {
            assert_eq!(first_yaml_document(text), first, "{text:?}");
        }
        // A later document is never read, even one that does not parse.
        assert_eq!(
            decode_yaml(b"kind: A\nmetadata:\n  name: y1\n---\n: : [bad\n").unwrap(),
            serde_json::json!({"kind": "A", "metadata": {"name": "y1"}})
        );
    }

    #[test]
    fn human_duration_matches_apimachinery() {
        // rows from k8s.io/apimachinery/pkg/util/duration/duration_test.go TestHumanDuration
        let rows: &[(i64, &str)] = &[
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (119, "119s"),
            (120, "2m"),
            (121, "2m1s"),
            (9 * 60 + 59, "9m59s"),
            (10 * 60, "10m"),
            (3600, "60m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 60, "3h1m"),
            (8 * 3600 - 1, "7h59m"),
            (8 * 3600, "8h"),
            (86400, "24h"),
            (48 * 3600 - 1, "47h"),
            (48 * 3600, "2d"),
            (49 * 3600, "2d1h"),
            (604800, "7d"),
            (8 * 86400, "8d"),
            (2 * 365 * 86400 - 1, "729d"),
            (2 * 365 * 86400, "2y"),
            (2 * 365 * 86400 + 86400, "2y1d"),
            (8 * 365 * 86400, "8y"),
            (600, "10m"),
        ];
        for (s, want) in rows {
            assert_eq!(human_duration(*s), *want, "{s}s");
        }
    }

    #[test]
    fn csr_row_cells() {
        let now = Time(1_893_456_006);
        let pending = json!({"metadata": {"name": "myuser", "creationTimestamp": "2030-01-01T00:00:00Z"},
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client", "username": "admin", "expirationSeconds": 86400, "usages": ["client auth"], "request": ""}, "status": {}});
        assert_eq!(
            cells("certificatesigningrequests", &pending, now),
            vec![
                json!("myuser"),
                json!("6s"),
                json!("kubernetes.io/kube-apiserver-client"),
                json!("admin"),
                json!("24h"),
                json!("Pending")
            ]
        );
        let issued = json!({"metadata": {"name": "x", "creationTimestamp": "2030-01-01T00:00:00Z"},
            "spec": {"signerName": "", "username": "u", "request": ""},
            "status": {"conditions": [{"type": "Approved", "status": "True"}, {"type": "Failed", "status": "True"}], "certificate": "Zm9v"}});
        let c = cells("certificatesigningrequests", &issued, now);
        assert_eq!(c[2], "<none>");
        assert_eq!(c[4], "<none>");
        assert_eq!(c[5], "Approved,Failed,Issued");
        let denied = json!({"metadata": {"name": "x"}, "spec": {"request": ""}, "status": {"conditions": [{"type": "Denied", "status": "True"}, {"type": "Approved", "status": "True"}]}});
        let c = cells("certificatesigningrequests", &denied, now);
        assert_eq!(c[1], "<unknown>");
        assert_eq!(c[5], "Denied");
    }

    #[test]
    fn table_shapes() {
        let now = Time(1_893_456_000);
        let list = json!({"kind": "CertificateSigningRequestList", "metadata": {"resourceVersion": "7", "continue": "abc"}, "items": []});
        let t = table("certificatesigningrequests", &list, now, true);
        assert_eq!(
            t["metadata"],
            json!({"resourceVersion": "7", "continue": "abc"})
        );
        assert_eq!(
            t["columnDefinitions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect::<Vec<_>>(),
            [
                "Name",
                "Age",
                "SignerName",
                "Requestor",
                "RequestedDuration",
                "Condition"
            ]
        );
        let rb = json!({"metadata": {"name": "b", "resourceVersion": "9"}, "roleRef": {"kind": "Role", "name": "developer"}, "subjects": [{"kind": "User", "name": "myuser"}]});
        let t = table("rolebindings", &rb, now, false);
        assert!(t["columnDefinitions"].is_null());
        assert_eq!(t["metadata"]["resourceVersion"], "9");
        assert_eq!(
            t["rows"][0]["cells"],
            json!(["b", "Role/developer", "<unknown>", "myuser", "", ""])
        );
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    /// `asTable`: the negotiated `meta.k8s.io` version is the Table's and its rows'
    /// PartialObjectMetadata's apiVersion, and the answer's Content-Type names it.
    #[test]
    fn table_version_is_the_negotiated_one() {
        let b1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
        let v1 = "application/json;as=Table;v=v1;g=meta.k8s.io";
        let cases = [
            (b1.to_string(), Some(TABLE_V1BETA1)),
            (v1.to_string(), Some(TABLE_V1)),
            (format!("{v1},{b1},application/json"), Some(TABLE_V1)),
            (format!("{b1},{v1},application/json"), Some(TABLE_V1BETA1)),
            (
                "application/json; as=Table; v=v1beta1; g=meta.k8s.io".into(),
                Some(TABLE_V1BETA1),
            ),
            ("application/json".into(), None),
        ];
        for (accept, want) in cases {
            assert_eq!(table_version(&accept), want, "{accept}");
        }
        let now = Time(1_893_456_000);
        let s = json!({"metadata": {"name": "s", "resourceVersion": "3"}, "type": "Opaque"});
        let t = table_with(
            "secrets",
            &s,
            now,
            true,
            IncludeObject::Metadata,
            TABLE_V1BETA1,
        );
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1beta1");
        assert_eq!(t["rows"][0]["object"]["apiVersion"], "meta.k8s.io/v1beta1");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(
            table_content_type(TABLE_V1BETA1),
            "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
        );
        assert_eq!(table_content_type(TABLE_V1), TABLE_CONTENT_TYPE);
    }

    /// table_conversion.go "should return a 406 for a backend which does not implement
    /// metadata": a review endpoint skips Table clauses.
    #[test]
    fn review_endpoints_skip_table_clauses() {
        let t = "application/json;as=Table;v=v1;g=meta.k8s.io";
        assert!(!acceptable_without_table(t));
        assert!(!acceptable_without_table(&format!(
            "{t},application/json;as=Table;v=v1beta1;g=meta.k8s.io"
        )));
        assert!(acceptable_without_table(&format!("{t},application/json")));
        assert!(acceptable_without_table(""));
        let partial = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io";
        assert!(acceptable_without_table(partial));
        // a conversion no endpoint serves is no answer at all
        assert!(!acceptable("application/json;as=Table;v=v2;g=meta.k8s.io"));
        assert!(!acceptable("application/json;as=Table;v=v1;g=example.com"));
        assert!(!acceptable("application/json;as=Pod;v=v1;g=meta.k8s.io"));
        assert!(acceptable(t) && acceptable(partial));
        assert!(acceptable_without_table("application/json"));
        assert!(!acceptable_without_table("text/html"));
    }

    #[test]
    fn accept_and_content_types() {
        assert!(table_version("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json").is_some());
        assert!(table_version("application/json").is_none());
        assert!(acceptable(
            "application/vnd.kubernetes.protobuf,application/json"
        ));
        assert!(!acceptable("text/html"));
        assert_eq!(decode_object("text/plain", b"x").unwrap_err().code, 415);
        assert_eq!(
            decode_object("application/json", b"{").unwrap_err().code,
            400
        );
        assert_eq!(patch_type("application/json").unwrap_err().code, 415);
        assert_eq!(
            patch_type("application/strategic-merge-patch+json").unwrap(),
            PatchType::StrategicMerge
        );
        assert_eq!(
            decode_object("application/yaml", b"a: 1").unwrap(),
            json!({"a": 1})
        );
    }
}
