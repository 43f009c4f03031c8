//! Importing articles written elsewhere: a CSV export (one row an article) or a simple
//! HTML page (its title, headings, paragraphs and lists become Markdown). Anything the
//! import cannot read is an error naming the row; nothing is half-imported.

use serde::{Deserialize, Serialize};

use crate::KbError;

/// An article as an import reads it; the server validates and stores it as a draft.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub slug: Option<String>,
    pub title: String,
    pub body: String,
    pub category: String,
    pub locale: String,
}

/// Rows with a header naming `title` and `body` (required) and `category`, `locale`,
/// `slug` (optional; the locale defaults to `default_locale`).
pub fn from_csv(text: &str, default_locale: &str) -> Result<Vec<Imported>, KbError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| KbError::Data(format!("CSV header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(title), Some(body)) = (col("title"), col("body")) else {
        return Err(KbError::Data(
            "CSV header: needs the columns title and body".into(),
        ));
    };
    let (category, locale, slug) = (col("category"), col("locale"), col("slug"));
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| KbError::Data(format!("CSV row {}: {e}", i + 2)))?;
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).unwrap_or("").trim().to_string();
        let a = Imported {
            slug: Some(get(slug)).filter(|s| !s.is_empty()),
            title: get(Some(title)),
            body: get(Some(body)),
            category: get(category),
            locale: Some(get(locale))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| default_locale.to_string()),
        };
        if a.title.is_empty() {
            return Err(KbError::Data(format!("CSV row {}: empty title", i + 2)));
        }
        out.push(a);
    }
    Ok(out)
}

/// One article from a simple HTML page: the title is its `<h1>` (else `<title>`); `<h2>`
/// to `<h6>` become headings, `<li>` list items, `<p>`/`<br>` paragraphs; every other
/// tag is dropped, and `<script>`/`<style>` with their content.
pub fn from_html(html: &str, category: &str, locale: &str) -> Result<Imported, KbError> {
    let mut title_h1 = None;
    let mut title_tag = None;
    let mut body = String::new();
    let mut text = String::new();
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    let mut in_h1 = false;
    let mut in_title = false;
    while let Some(lt) = rest.find('<') {
        let chunk = &rest[..lt];
        if skip_until.is_none() {
            text.push_str(chunk);
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_lowercase();
        rest = &rest[lt + gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = tag.starts_with('/');
        if let Some(end) = skip_until {
            if closing && name == end {
                skip_until = None;
            }
            continue;
        }
        match (name.as_str(), closing) {
            ("script", false) => skip_until = Some("script"),
            ("style", false) => skip_until = Some("style"),
            ("title", false) => {
                flush(&mut body, &mut text, "");
                in_title = true;
            }
            ("title", true) => {
                title_tag = Some(clean(&std::mem::take(&mut text)));
                in_title = false;
            }
            ("h1", false) => {
                flush(&mut body, &mut text, "");
                in_h1 = true;
            }
            ("h1", true) if in_h1 => {
                title_h1.get_or_insert(clean(&std::mem::take(&mut text)));
                in_h1 = false;
            }
            ("h2" | "h3" | "h4" | "h5" | "h6", false) => flush(&mut body, &mut text, ""),
            ("h2" | "h3" | "h4" | "h5" | "h6", true) => flush(&mut body, &mut text, "## "),
            ("li", false) => flush(&mut body, &mut text, ""),
            ("li", true) => flush(&mut body, &mut text, "- "),
            ("p" | "div" | "br" | "ul" | "ol" | "tr" | "section" | "article", _)
                if !in_title && !in_h1 =>
            {
                flush(&mut body, &mut text, "")
            }
            _ => {}
        }
    }
    if skip_until.is_none() {
        text.push_str(rest);
    }
    flush(&mut body, &mut text, "");
    let title = title_h1
        .or(title_tag)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| KbError::Data("HTML: no <h1> or <title> to name the article".into()))?;
    Ok(Imported {
        slug: None,
        title,
        body: body.trim().to_string(),
        category: category.to_string(),
        locale: locale.to_string(),
    })
}

fn flush(body: &mut String, text: &mut String, prefix: &str) {
    let t = clean(text);
    text.clear();
    if t.is_empty() {
        return;
    }
    if prefix == "- " {
        body.push_str(prefix);
        body.push_str(&t);
        body.push('\n');
    } else {
        if !body.is_empty() && !body.ends_with("\n\n") {
            body.push('\n');
        }
        body.push_str(prefix);
        body.push_str(&t);
        body.push_str("\n\n");
    }
}

/// Collapses whitespace and decodes the common entities.
fn clean(s: &str) -> String {
    let decoded = s
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&rsquo;", "’")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_articles() {
        let csv = "title,body,category\n\"Returns\",\"Send it back, free.\",Returns\nRefunds,In 5 days,\n";
        let rows = from_csv(csv, "en").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].body, "Send it back, free.");
        assert_eq!(rows[1].locale, "en");
        assert!(from_csv("name,text\na,b\n", "en").is_err());
        let e = from_csv("title,body\n,b\n", "en").unwrap_err().to_string();
        assert!(e.contains("row 2"), "{e}");
    }

    #[test]
    fn html_becomes_markdown_without_scripts() {
        let html = "<html><head><title>T</title><script>alert(1)</script></head><body>\
            <h1>Returns &amp; refunds</h1><p>Send it <b>back</b>.</p><h2>Steps</h2>\
            <ul><li>Print</li><li>Post</li></ul></body></html>";
        let a = from_html(html, "Returns", "en").unwrap();
        assert_eq!(a.title, "Returns & refunds");
        assert_eq!(a.body, "Send it back.\n\n## Steps\n\n- Print\n- Post");
        assert!(from_html("<p>no title</p>", "", "en").is_err());
    }
}
