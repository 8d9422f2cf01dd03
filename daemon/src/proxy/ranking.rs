//! A simple ranking for `retrieve_tools`: query words against a tool's name words (worth
//! most), its title and its description, with prefix matches counted lightly. The
//! tool-search issue replaces this with a real index; the contract stays.

use crate::protocol::ToolView;

/// Lowercase words of a text, splitting snake_case, kebab-case, dots and camelCase.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_lowercase() || c.is_numeric();
            current.extend(c.to_lowercase());
        } else {
            previous_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// How well `tool` matches `query` (0 when nothing matches).
pub fn score(query: &[String], tool: &ToolView) -> f64 {
    let name = words(&tool.name);
    let server = words(&tool.server);
    let title = tool.title.as_deref().map(words).unwrap_or_default();
    let description = words(&tool.description);
    let mut total = 0.0;
    for word in query {
        let best = [
            (&name, 3.0),
            (&title, 2.0),
            (&server, 1.5),
            (&description, 1.0),
        ]
        .iter()
        .map(|(field, weight)| weight * field_match(word, field))
        .fold(0.0, f64::max);
        total += best;
    }
    if tool.name.eq_ignore_ascii_case(&query.join("_")) {
        total += 5.0;
    }
    total
}

fn field_match(word: &str, field: &[String]) -> f64 {
    if field.iter().any(|w| w == word) {
        1.0
    } else if word.len() >= 3
        && field
            .iter()
            .any(|w| w.starts_with(word) || word.starts_with(w.as_str()) && w.len() >= 4)
    {
        0.5
    } else {
        0.0
    }
}

/// The `limit` best tools for `query`, best first; ties by id.
pub fn rank<'t>(query: &str, tools: &'t [ToolView], limit: usize) -> Vec<(&'t ToolView, f64)> {
    let query = words(query);
    let mut scored: Vec<(&ToolView, f64)> = tools
        .iter()
        .map(|tool| (tool, score(&query, tool)))
        .filter(|(_, score)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
    scored.truncate(limit);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ToolHints;

    fn tool(server: &str, name: &str, description: &str) -> ToolView {
        ToolView {
            id: format!("{server}:{name}"),
            server: server.into(),
            name: name.into(),
            title: None,
            description: description.into(),
            input_schema: serde_json::json!({"type": "object"}),
            output_schema: None,
            annotations: ToolHints::default(),
        }
    }

    #[test]
    fn splits_identifiers_into_words() {
        assert_eq!(words("getCurrentTime"), ["get", "current", "time"]);
        assert_eq!(
            words("convert_time-zone.v2"),
            ["convert", "time", "zone", "v2"]
        );
    }

    #[test]
    fn names_outrank_descriptions_and_misses_are_dropped() {
        let tools = vec![
            tool("demo", "calculate", "Evaluate an arithmetic expression"),
            tool("time", "convert_time", "Convert a time between zones"),
            tool("notes", "search", "Find notes; can also convert markdown"),
        ];
        let ranked = rank("convert time", &tools, 10);
        assert_eq!(ranked[0].0.id, "time:convert_time");
        assert!(ranked.iter().all(|(t, _)| t.id != "demo:calculate"));
    }
}
