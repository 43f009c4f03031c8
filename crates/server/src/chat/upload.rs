//! Attachment checks: the file's real type comes from its first bytes, never from the
//! name or the content type the client claims, and the size limit is enforced while the
//! bytes stream in.

use std::fmt;

/// The largest attachment a customer may send.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file a chat accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
}

impl FileKind {
    /// The content type the server stores and serves the file with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
        }
    }

    /// The extension a stored or downloaded file gets.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
        }
    }

    /// Images may be shown inline; anything else is served as a download.
    pub fn is_image(self) -> bool {
        !matches!(self, FileKind::Pdf)
    }
}

/// Why an upload was refused. Each maps to one HTTP status (413, 415 or 422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    /// More than [`MAX_ATTACHMENT_BYTES`]: 413.
    TooLarge { limit: usize },
    /// The bytes are not one of the accepted kinds: 415.
    UnsupportedType,
    /// The request had no file part, or an empty one: 422.
    Empty,
    /// The multipart body could not be read: 422.
    Malformed(String),
}

impl UploadError {
    /// The machine-readable error code used in the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            UploadError::TooLarge { .. } => "attachment_too_large",
            UploadError::UnsupportedType => "unsupported_attachment_type",
            UploadError::Empty => "attachment_missing",
            UploadError::Malformed(_) => "invalid_multipart",
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            UploadError::TooLarge { .. } => 413,
            UploadError::UnsupportedType => 415,
            UploadError::Empty | UploadError::Malformed(_) => 422,
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadError::TooLarge { limit } => {
                write!(f, "the file is larger than {} MiB", limit / (1024 * 1024))
            }
            UploadError::UnsupportedType => {
                f.write_str("only PNG, JPEG, GIF and WebP images and PDF documents can be sent")
            }
            UploadError::Empty => f.write_str("send the file in a multipart field named `file`"),
            UploadError::Malformed(why) => write!(f, "the upload could not be read: {why}"),
        }
    }
}

impl std::error::Error for UploadError {}

/// The kind of file these bytes are, judged by their signature only.
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        return Some(FileKind::Png);
    }
    // JPEG: SOI followed by the first marker's 0xFF.
    if bytes.len() >= 4 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
        return Some(FileKind::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(FileKind::Gif);
    }
    if bytes.len() >= 16 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        // The first chunk must be one of the WebP image chunks.
        let chunk = &bytes[12..16];
        if chunk == b"VP8 " || chunk == b"VP8L" || chunk == b"VP8X" {
            return Some(FileKind::Webp);
        }
        return None;
    }
    // PDF: the header may follow a little junk (the spec allows it within 1024 bytes), but
    // accepting that would let other formats hide behind it; we require it up front.
    if bytes.starts_with(b"%PDF-") {
        return Some(FileKind::Pdf);
    }
    None
}

/// Collects an upload chunk by chunk, refusing it as soon as it passes the limit and
/// checking its signature as soon as there are enough bytes to judge.
#[derive(Debug)]
pub struct UploadBuffer {
    bytes: Vec<u8>,
    limit: usize,
    kind: Option<FileKind>,
}

/// How many leading bytes the signature check needs at most.
const SNIFF_LEN: usize = 16;

impl UploadBuffer {
    pub fn new(limit: usize) -> Self {
        UploadBuffer {
            bytes: Vec::new(),
            limit,
            kind: None,
        }
    }

    /// Adds a chunk; fails as soon as the total is over the limit or the signature is
    /// known to be wrong.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        if self.bytes.len() + chunk.len() > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        self.bytes.extend_from_slice(chunk);
        if self.kind.is_none() && self.bytes.len() >= SNIFF_LEN {
            self.kind = Some(sniff(&self.bytes).ok_or(UploadError::UnsupportedType)?);
        }
        Ok(())
    }

    /// The complete file and its kind.
    pub fn finish(self) -> Result<(FileKind, Vec<u8>), UploadError> {
        if self.bytes.is_empty() {
            return Err(UploadError::Empty);
        }
        let kind = match self.kind {
            Some(kind) => kind,
            None => sniff(&self.bytes).ok_or(UploadError::UnsupportedType)?,
        };
        Ok((kind, self.bytes))
    }
}

/// A file name safe to store and to show: the last path segment, printable characters
/// only, at most 120 characters, with the extension of its real kind.
pub fn clean_file_name(claimed: Option<&str>, kind: FileKind) -> String {
    let base = claimed
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("");
    let stem = match base.rfind('.') {
        Some(dot) if dot > 0 => &base[..dot],
        _ => base,
    };
    let mut clean: String = stem
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(120)
        .collect();
    if clean.is_empty() {
        clean = "attachment".to_string();
    }
    format!("{clean}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&[0; 32]);
        b
    }

    #[test]
    fn sniffs_each_accepted_kind() {
        assert_eq!(sniff(&png()), Some(FileKind::Png));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(FileKind::Jpeg)
        );
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some(FileKind::Gif));
        assert_eq!(sniff(b"GIF87a\x01\x00"), Some(FileKind::Gif));
        assert_eq!(
            sniff(b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0"),
            Some(FileKind::Webp)
        );
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3"), Some(FileKind::Pdf));
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><svg/>"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None); // a Windows executable
        assert_eq!(sniff(b"PK\x03\x04"), None); // a zip (also docx)
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None); // RIFF but not WebP
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPJUNK"), None);
        assert_eq!(sniff(b"  %PDF-1.4"), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
    }

    #[test]
    fn buffer_enforces_the_limit_while_streaming() {
        let mut buf = UploadBuffer::new(64);
        buf.push(&png()).unwrap();
        let err = buf.push(&[0; 64]).unwrap_err();
        assert_eq!(err, UploadError::TooLarge { limit: 64 });
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn buffer_rejects_a_wrong_signature_early() {
        let mut buf = UploadBuffer::new(MAX_ATTACHMENT_BYTES);
        let err = buf.push(b"this is not an image, honest!!").unwrap_err();
        assert_eq!(err, UploadError::UnsupportedType);
        assert_eq!(err.status(), 415);
    }

    #[test]
    fn buffer_judges_short_files_at_the_end() {
        let mut buf = UploadBuffer::new(MAX_ATTACHMENT_BYTES);
        buf.push(b"GIF89a").unwrap();
        assert_eq!(buf.finish().unwrap().0, FileKind::Gif);
        let mut buf = UploadBuffer::new(MAX_ATTACHMENT_BYTES);
        buf.push(b"hello").unwrap();
        assert_eq!(buf.finish().unwrap_err(), UploadError::UnsupportedType);
        assert_eq!(UploadBuffer::new(10).finish().unwrap_err().status(), 422);
    }

    #[test]
    fn split_chunks_give_the_same_answer() {
        let file = png();
        let mut buf = UploadBuffer::new(MAX_ATTACHMENT_BYTES);
        for chunk in file.chunks(3) {
            buf.push(chunk).unwrap();
        }
        let (kind, bytes) = buf.finish().unwrap();
        assert_eq!(kind, FileKind::Png);
        assert_eq!(bytes, file);
    }

    #[test]
    fn file_names_are_cleaned_and_get_the_real_extension() {
        assert_eq!(
            clean_file_name(Some("receipt.png"), FileKind::Png),
            "receipt.png"
        );
        assert_eq!(
            clean_file_name(Some("invoice.exe"), FileKind::Pdf),
            "invoice.pdf"
        );
        assert_eq!(
            clean_file_name(Some("../../etc/passwd"), FileKind::Jpeg),
            "passwd.jpg"
        );
        assert_eq!(
            clean_file_name(Some("C:\\Users\\me\\photo.JPG"), FileKind::Jpeg),
            "photo.jpg"
        );
        assert_eq!(
            clean_file_name(Some(".hidden"), FileKind::Gif),
            "hidden.gif"
        );
        assert_eq!(clean_file_name(None, FileKind::Webp), "attachment.webp");
        assert_eq!(
            clean_file_name(Some("a\u{0}b\n<c>.png"), FileKind::Png),
            "abc.png"
        );
        let long = "x".repeat(500);
        assert_eq!(clean_file_name(Some(&long), FileKind::Png).len(), 124);
    }
}
