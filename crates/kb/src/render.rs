//! Articles' Markdown to HTML for the help center, safe by construction: raw HTML in an
//! article is shown as text, never passed through, and links and images keep only
//! `http(s):`, `mailto:`, `tel:` and relative addresses. So an editor's article cannot
//! run script on the public site, whatever it holds.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// The article's body as HTML to put inside a page.
pub fn to_html(markdown: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, opts).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    let relative = match scheme {
        None => true,
        // `a/b:c` has a colon after a slash: a path, not a scheme.
        Some(s) => s.contains(['/', '?', '#']),
    };
    if relative || matches!(scheme, Some("http" | "https" | "mailto" | "tel")) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

/// The first paragraph's plain text, at most `max` characters (cut at a word): the quote
/// the answer bot gives and the help center's search results show.
pub fn excerpt(markdown: &str, max: usize) -> String {
    let mut text = String::new();
    let mut started = false;
    for e in Parser::new(markdown) {
        match e {
            Event::Text(t) | Event::Code(t) => {
                started = true;
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(pulldown_cmark::TagEnd::Paragraph) if started => break,
            Event::End(pulldown_cmark::TagEnd::Item) if started => text.push(' '),
            _ => {}
        }
        if text.len() > max * 2 {
            break;
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max).collect();
    if let Some(sp) = cut.rfind(' ') {
        cut.truncate(sp);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_html_is_escaped() {
        let h =
            to_html("# Hi\n\n**bold** <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(h.contains("<h1>Hi</h1>"));
        assert!(h.contains("<strong>bold</strong>"));
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"));
    }

    #[test]
    fn only_safe_link_schemes_are_kept() {
        assert!(to_html("[a](javascript:alert(1))").contains("href=\"#\""));
        assert!(to_html("[a](JavaScript:alert(1))").contains("href=\"#\""));
        assert!(to_html("[a](data:text/html,x)").contains("href=\"#\""));
        assert!(to_html("[a](https://x.test/p)").contains("href=\"https://x.test/p\""));
        assert!(to_html("[a](/help/x)").contains("href=\"/help/x\""));
        assert!(to_html("[a](mailto:a@b.test)").contains("mailto:"));
    }

    #[test]
    fn excerpts_are_the_first_paragraph_cut_at_a_word() {
        let md = "As soon as your **order** leaves\nour warehouse.\n\nSecond.";
        assert_eq!(
            excerpt(md, 200),
            "As soon as your order leaves our warehouse."
        );
        assert_eq!(excerpt(md, 12), "As soon as…");
    }
}
