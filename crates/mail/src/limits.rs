//! Bounds on the work done per message. Past them, analysis stops early and says so with a
//! signal (`mime.limits_exceeded`), or returns an error for messages too large to read at all.

/// Raw messages larger than this are refused with [`crate::AnalysisError::TooLarge`].
pub const MAX_MESSAGE_BYTES: usize = 96 * 1024 * 1024;
/// MIME parts visited (all nesting levels together).
pub const MAX_PARTS: usize = 512;
/// Nesting of `message/rfc822` parts inside each other.
pub const MAX_MESSAGE_DEPTH: usize = 8;
/// Occurrences of a MIME boundary-like structure above which the message is not fully parsed.
pub const MAX_RAW_PART_MARKERS: usize = 4096;
/// Text (plain + visible HTML) kept for the content checks that read it as a whole (numbers,
/// IBANs, phone numbers, word breaking): its first and last halves of this bound. Phrase
/// search reads all of it before it is cut, wherever a lure sits in a padded body.
pub const MAX_TEXT_BYTES: usize = 512 * 1024;
/// HTML read in full per body (the tokenizer reads about 0.5 GB/s). Past it, the first and
/// last halves are read in full and the links and forms of the middle by a quick pass.
pub const MAX_HTML_BYTES: usize = 32 * 1024 * 1024;
/// Distinct links kept per message. Past it, each host keeps its first links before any host
/// keeps more, so that a flood of harmless links cannot push the lure's out.
pub const MAX_LINKS: usize = 24 * 1024;
/// Attachment bytes examined per attachment.
pub const MAX_ATTACHMENT_SCAN_BYTES: usize = 16 * 1024 * 1024;
/// Archive members examined, decompressed bytes read per archive, and nesting of archives.
pub const MAX_ARCHIVE_ENTRIES: usize = 256;
pub const MAX_ARCHIVE_READ_BYTES: u64 = 8 * 1024 * 1024;
pub const MAX_ARCHIVE_DEPTH: usize = 3;
/// Declared uncompressed/compressed ratio above which a member counts as a bomb.
pub const ZIP_BOMB_RATIO: u64 = 200;
/// Declared uncompressed total above which an archive counts as a bomb.
pub const ZIP_BOMB_TOTAL: u64 = 1024 * 1024 * 1024;
/// Images decoded for QR codes per message, and their maximum pixel size.
pub const MAX_QR_IMAGES: usize = 4;
/// Pictures whose QR codes are remembered (by content) from one message to the next.
pub const REMEMBERED_PICTURES: usize = 4096;
pub const MAX_IMAGE_PIXELS: u64 = 4_000_000;
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// PDF files larger than this are not parsed (only their name and type count).
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;
/// Wall-clock budget per message; checked between stages.
pub const TIME_BUDGET_MS: u128 = 2_000;
