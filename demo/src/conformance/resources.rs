//! The conformance suite's resources: a static text, a static binary (the test PNG), a
//! resource template `test://template/{id}/data`, and `test://watched-resource`, the one a
//! client subscribes to.

use rmcp::model::{Resource, ResourceContents, ResourceTemplate};

use super::TEST_IMAGE_BASE64;

pub(crate) const WATCHED_RESOURCE_URI: &str = "test://watched-resource";
/// What `test://watched-resource` says until `update_watched_resource` changes it.
pub(crate) const INITIAL_WATCHED_RESOURCE_TEXT: &str = "Watched resource content";

const STATIC_TEXT_URI: &str = "test://static-text";
const STATIC_TEXT: &str = "This is the content of the static text resource.";
const STATIC_BINARY_URI: &str = "test://static-binary";
const TEMPLATE_PREFIX: &str = "test://template/";
const TEMPLATE_SUFFIX: &str = "/data";

pub(crate) fn list() -> Vec<Resource> {
    vec![
        Resource::new(STATIC_TEXT_URI, "static_text")
            .with_title("Static text")
            .with_description("A static text resource for testing")
            .with_mime_type("text/plain")
            .with_size(STATIC_TEXT.len() as u64),
        Resource::new(STATIC_BINARY_URI, "static_binary")
            .with_title("Static binary")
            .with_description("A static binary resource (a 1x1 PNG image) for testing")
            .with_mime_type("image/png"),
        Resource::new(WATCHED_RESOURCE_URI, "watched_resource")
            .with_title("Watched resource")
            .with_description(
                "A resource to subscribe to; update_watched_resource changes it and tells \
                 the subscribers",
            )
            .with_mime_type("text/plain"),
    ]
}

pub(crate) fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(
            format!("{TEMPLATE_PREFIX}{{id}}{TEMPLATE_SUFFIX}"),
            "template",
        )
        .with_title("Template data")
        .with_description("A resource template: the JSON data for any id")
        .with_mime_type("application/json"),
    ]
}

/// The contents at `uri` when it is one of these resources; `watched_text` is what
/// `test://watched-resource` says now.
pub(crate) fn read(uri: &str, watched_text: &str) -> Option<ResourceContents> {
    match uri {
        STATIC_TEXT_URI => Some(ResourceContents::text(STATIC_TEXT, uri)),
        STATIC_BINARY_URI => {
            Some(ResourceContents::blob(TEST_IMAGE_BASE64, uri).with_mime_type("image/png"))
        }
        WATCHED_RESOURCE_URI => Some(ResourceContents::text(watched_text, uri)),
        _ => {
            let id = template_id(uri)?;
            let data = serde_json::json!({
                "id": id,
                "templateTest": true,
                "data": format!("Data for ID: {id}"),
            });
            Some(ResourceContents::text(data.to_string(), uri).with_mime_type("application/json"))
        }
    }
}

/// The `{id}` of a URI that matches `test://template/{id}/data` (one non-empty segment).
fn template_id(uri: &str) -> Option<&str> {
    let id = uri
        .strip_prefix(TEMPLATE_PREFIX)?
        .strip_suffix(TEMPLATE_SUFFIX)?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_resource_reads_with_its_mime_type() {
        for resource in list() {
            let contents = read(&resource.uri, "watched").unwrap();
            let (ResourceContents::TextResourceContents { mime_type, .. }
            | ResourceContents::BlobResourceContents { mime_type, .. }) = contents
            else {
                panic!("{} has unknown contents", resource.uri);
            };
            assert_eq!(mime_type, resource.mime_type, "{}", resource.uri);
        }
    }

    #[test]
    fn the_template_fills_in_the_id() {
        let Some(ResourceContents::TextResourceContents { text, .. }) =
            read("test://template/123/data", "")
        else {
            panic!("the template did not read as text");
        };
        let data: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(data["id"], "123");
        assert_eq!(data["data"], "Data for ID: 123");
        for not_matching in [
            "test://template//data",
            "test://template/1/2/data",
            "test://template/1",
            "test://elsewhere",
        ] {
            assert!(read(not_matching, "").is_none(), "{not_matching}");
        }
    }
}
