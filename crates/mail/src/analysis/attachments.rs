//! Attachments: HTML and SVG with script, forms, redirects or embedded payloads (HTML
//! smuggling); Office macros (OLE2 and OOXML `vbaProject.bin`); archives (nested, encrypted,
//! bombs); disk images, shortcuts, scripts and executables; PDFs with links, JavaScript or launch
//! actions; calendar invites with links. Attachments are classified by content and by name.

use std::io::{Cursor, Read};

use crate::context::{Ctx, LinkSource};
use crate::html::analyze_html;
use crate::limits::*;
use crate::text::quote;

const EXECUTABLE_EXT: &[&str] = &[
    "exe", "scr", "com", "pif", "cpl", "msi", "msp", "dll", "jar", "appx", "msix", "apk", "app",
    "dmg", "pkg", "elf", "bin", "run",
];
const SCRIPT_EXT: &[&str] = &[
    "js", "jse", "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "psm1", "bat", "cmd", "sh", "reg",
    "inf", "sct", "chm", "xll", "msc", "one", "py",
];
const SHORTCUT_EXT: &[&str] = &[
    "lnk",
    "url",
    "scf",
    "library-ms",
    "searchms",
    "settingcontent-ms",
];
const DISK_EXT: &[&str] = &["iso", "img", "vhd", "vhdx"];
const ARCHIVE_EXT: &[&str] = &[
    "zip", "rar", "7z", "gz", "tgz", "tar", "cab", "ace", "arj", "xz", "bz2", "z", "lzh", "r00",
    "zipx",
];
const HTML_EXT: &[&str] = &[
    "html", "htm", "shtml", "xhtml", "mht", "mhtml", "svg", "svgz",
];
const DOC_EXT: &[&str] = &[
    "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "xlsb", "ppt", "pptx", "pptm", "rtf",
    "odt", "txt", "jpg", "png", "jpeg",
];

fn ext_of(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// What kind of file this is, by name and by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Executable,
    Script,
    Shortcut,
    Disk,
    Archive,
    Html,
    Svg,
    Pdf,
    Ole,
    Ooxml,
    Calendar,
    Image,
    Other,
}

fn sniff(name: &str, ct: &str, data: &[u8]) -> Kind {
    let ext = ext_of(name);
    let head = &data[..data.len().min(512)];
    if head.starts_with(b"MZ")
        || head.starts_with(b"\x7fELF")
        || EXECUTABLE_EXT.contains(&ext.as_str())
    {
        return Kind::Executable;
    }
    if head.starts_with(&[0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0])
        || SHORTCUT_EXT.contains(&ext.as_str())
    {
        return Kind::Shortcut;
    }
    if DISK_EXT.contains(&ext.as_str())
        || (data.len() > 0x8006 && &data[0x8001..0x8006] == b"CD001")
    {
        return Kind::Disk;
    }
    if SCRIPT_EXT.contains(&ext.as_str()) {
        return Kind::Script;
    }
    if head.starts_with(b"%PDF") || ext == "pdf" || ct == "application/pdf" {
        return Kind::Pdf;
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Kind::Ole;
    }
    if head.starts_with(b"PK\x03\x04") {
        if [
            "docx", "docm", "xlsx", "xlsm", "pptx", "pptm", "dotm", "xlam", "ppsm",
        ]
        .contains(&ext.as_str())
        {
            return Kind::Ooxml;
        }
        return Kind::Archive;
    }
    if ARCHIVE_EXT.contains(&ext.as_str())
        || head.starts_with(b"Rar!")
        || head.starts_with(&[0x37, 0x7A, 0xBC, 0xAF])
    {
        return Kind::Archive;
    }
    if ext == "ics" || ct == "text/calendar" || head.starts_with(b"BEGIN:VCALENDAR") {
        return Kind::Calendar;
    }
    let lower_head = String::from_utf8_lossy(head).to_ascii_lowercase();
    if ext == "svg" || ext == "svgz" || ct == "image/svg+xml" || lower_head.contains("<svg") {
        return Kind::Svg;
    }
    if HTML_EXT.contains(&ext.as_str())
        || ct == "text/html"
        || lower_head.contains("<html")
        || lower_head.contains("<script")
    {
        return Kind::Html;
    }
    if ct.starts_with("image/") || infer::is_image(head) {
        return Kind::Image;
    }
    Kind::Other
}

pub fn analyze(ctx: &mut Ctx<'_>) {
    let atts = ctx.mail.attachments.clone();
    for a in atts.iter().take(64) {
        let data = &a.data[..a.data.len().min(MAX_ATTACHMENT_SCAN_BYTES)];
        let label = if a.name.is_empty() {
            format!("an unnamed {} part", a.content_type)
        } else {
            format!("\"{}\"", quote(&a.name))
        };
        let kind = sniff(&a.name, &a.content_type, data);

        // Double extensions ("invoice.pdf.exe") and mismatched names.
        let lower = a.name.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('.').collect();
        if parts.len() >= 3 {
            let inner = parts[parts.len() - 2];
            let outer = parts[parts.len() - 1];
            if DOC_EXT.contains(&inner)
                && (EXECUTABLE_EXT.contains(&outer)
                    || SCRIPT_EXT.contains(&outer)
                    || HTML_EXT.contains(&outer)
                    || SHORTCUT_EXT.contains(&outer)
                    || DISK_EXT.contains(&outer)
                    || ARCHIVE_EXT.contains(&outer))
            {
                ctx.add(
                    "att.double_extension",
                    format!("{label} pretends to be a .{inner} but is a .{outer}"),
                );
            }
        }
        // Invisible or direction-changing characters in a file name ("invoice\u{202E}fdp.exe"
        // shows as "invoiceexe.pdf"; zero-width ones dodge name filters). Names people type
        // never hold them.
        let hidden: Vec<String> = a
            .name
            .chars()
            .filter(|&c| crate::text::is_invisible(c))
            .map(|c| format!("U+{:04X}", c as u32))
            .collect();
        if !hidden.is_empty() {
            ctx.add(
                "att.name_disguised",
                format!(
                    "the file name {label} hides invisible or direction-changing characters ({})",
                    hidden.join(", ")
                ),
            );
        }
        let ext = ext_of(&a.name);
        if (ext == "pdf" && !data.starts_with(b"%PDF") && !data.is_empty() && kind != Kind::Pdf)
            || (["doc", "xls", "ppt", "docx", "xlsx", "pdf", "jpg", "png"].contains(&ext.as_str())
                && matches!(kind, Kind::Html | Kind::Executable | Kind::Svg))
        {
            ctx.add(
                "att.type_mismatch",
                format!("{label} is named .{ext} but its content is something else"),
            );
        }

        match kind {
            Kind::Executable => ctx.add("att.executable", format!("{label} is a program")),
            Kind::Script => ctx.add(
                "att.script",
                format!("{label} is a script that runs when opened"),
            ),
            Kind::Shortcut => ctx.add(
                "att.shortcut",
                format!("{label} is a shortcut file, a common way to launch malware"),
            ),
            Kind::Disk => ctx.add(
                "att.disk_image",
                format!("{label} is a disk image, used to slip programs past filters"),
            ),
            Kind::Archive => archive(ctx, &label, data, 0),
            Kind::Html | Kind::Svg => html_attachment(ctx, &label, data, kind == Kind::Svg),
            Kind::Pdf => pdf(ctx, &label, data),
            Kind::Ole => ole(ctx, &label, data),
            Kind::Ooxml => ooxml(ctx, &label, data),
            Kind::Calendar => calendar(ctx, &label, data),
            Kind::Image | Kind::Other => {}
        }
    }
}

fn html_attachment(ctx: &mut Ctx<'_>, label: &str, data: &[u8], svg: bool) {
    let text = String::from_utf8_lossy(&data[..data.len().min(MAX_HTML_BYTES)]);
    let f = analyze_html(&text);
    if svg {
        ctx.add(
            "att.svg",
            format!("{label} is an SVG picture, which can carry scripts and links"),
        );
    } else {
        ctx.add(
            "att.html",
            format!("{label} is a web page opened locally, outside the browser's protections"),
        );
    }
    let lower = text.to_ascii_lowercase();
    let script = f.scripts > 0
        || lower.contains("<script")
        || lower.contains("javascript:")
        || lower.contains("onload=");
    if script {
        ctx.add("att.html_script", format!("{label} runs scripts"));
    }
    let js = if f.script_text.is_empty() {
        lower.clone()
    } else {
        f.script_text.to_ascii_lowercase()
    };
    let smuggling_api = [
        "atob(",
        "new blob",
        "createobjecturl",
        "mssaveoropenblob",
        "fromcharcode",
        "unescape(",
        "decodeuricomponent(",
        "uint8array",
        "document.write(",
    ]
    .iter()
    .filter(|k| js.contains(*k))
    .count();
    let long_b64 = longest_base64_run(&text);
    if (smuggling_api >= 1 && long_b64 >= 1024) || smuggling_api >= 3 {
        ctx.add("att.html_smuggling", format!("{label} assembles a hidden payload in the browser (script decoding a {long_b64}-character encoded blob)"));
    }
    if !f.forms.is_empty() || f.password_inputs > 0 {
        ctx.add(
            "att.html_form",
            format!(
                "{label} contains a {} form",
                if f.password_inputs > 0 {
                    "password"
                } else {
                    "data-entry"
                }
            ),
        );
    }
    if f.meta_refresh.is_some()
        || js.contains("location.href")
        || js.contains("location.replace")
        || js.contains("window.location")
        || js.contains("location.assign")
    {
        ctx.add(
            "att.html_redirect",
            format!("{label} sends the browser to another site when opened"),
        );
    }
    for a in f.anchors.iter().take(50) {
        ctx.add_link(
            a.href.clone(),
            Some(a.text.clone()),
            LinkSource::HtmlAttachment,
        );
    }
    for fm in &f.forms {
        if !fm.action.is_empty() {
            ctx.add_link(fm.action.clone(), None, LinkSource::HtmlAttachment);
        }
    }
    if let Some(r) = &f.meta_refresh
        && let Some((_, u)) = r.to_ascii_lowercase().split_once("url=")
    {
        let u = u
            .trim_matches(|c| c == '\'' || c == '"' || c == ' ')
            .to_string();
        ctx.add_link(u, None, LinkSource::HtmlAttachment);
    }
}

fn longest_base64_run(s: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

fn archive(ctx: &mut Ctx<'_>, label: &str, data: &[u8], depth: usize) {
    if !data.starts_with(b"PK") {
        ctx.add(
            "att.archive",
            format!("{label} is an archive that could not be looked into"),
        );
        return;
    }
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(data)) else {
        ctx.add(
            "att.archive_unreadable",
            format!("{label} is a damaged archive"),
        );
        return;
    };
    let n = z.len();
    if n > MAX_ARCHIVE_ENTRIES {
        ctx.add(
            "att.archive_bomb",
            format!("{label} holds {n} files, more than is reasonable to inspect"),
        );
    }
    let mut total: u64 = 0;
    let mut read_budget = MAX_ARCHIVE_READ_BYTES;
    for i in 0..n.min(MAX_ARCHIVE_ENTRIES) {
        let (name, encrypted, size, csize) = match z.by_index_raw(i) {
            Ok(f) => (
                f.name().map(|c| c.to_string()).unwrap_or_default(),
                f.encrypted(),
                f.size(),
                f.compressed_size(),
            ),
            Err(_) => continue,
        };
        total = total.saturating_add(size);
        if encrypted {
            ctx.add(
                "att.archive_encrypted",
                format!(
                    "{label} is password-protected ({}) so filters cannot look inside",
                    quote(&name)
                ),
            );
        }
        if (csize > 0 && size / csize.max(1) > ZIP_BOMB_RATIO && size > 16 * 1024 * 1024)
            || total > ZIP_BOMB_TOTAL
        {
            ctx.add(
                "att.archive_bomb",
                format!(
                    "{label} expands to {} MB from {} KB (a decompression bomb)",
                    total / (1024 * 1024),
                    data.len() / 1024
                ),
            );
            return;
        }
        let inner_label = format!("{} inside {label}", quote(&name));
        let ext = ext_of(&name);
        if EXECUTABLE_EXT.contains(&ext.as_str())
            || SCRIPT_EXT.contains(&ext.as_str())
            || SHORTCUT_EXT.contains(&ext.as_str())
            || DISK_EXT.contains(&ext.as_str())
        {
            ctx.add(
                "att.archive_executable",
                format!("{inner_label} runs code when opened"),
            );
        }
        if HTML_EXT.contains(&ext.as_str()) {
            ctx.add(
                "att.archive_html",
                format!("{inner_label} is a web page hidden in an archive"),
            );
        }
        let nested = ARCHIVE_EXT.contains(&ext.as_str());
        if nested {
            ctx.add(
                "att.archive_nested",
                format!("{inner_label} is an archive inside an archive"),
            );
        }
        if encrypted || read_budget == 0 || size > read_budget {
            continue;
        }
        let want_content = (nested && depth + 1 < MAX_ARCHIVE_DEPTH)
            || ["docm", "xlsm", "pptm", "doc", "xls", "docx", "xlsx"].contains(&ext.as_str());
        if !want_content {
            continue;
        }
        let mut buf = Vec::new();
        if let Ok(f) = z.by_index(i) {
            let _ = f.take(read_budget).read_to_end(&mut buf);
        }
        read_budget = read_budget.saturating_sub(buf.len() as u64);
        if nested {
            archive(ctx, &inner_label, &buf, depth + 1);
        } else if buf.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            ole(ctx, &inner_label, &buf);
        } else if buf.starts_with(b"PK") {
            ooxml(ctx, &inner_label, &buf);
        }
    }
}

fn ole(ctx: &mut Ctx<'_>, label: &str, data: &[u8]) {
    let Ok(cf) = cfb::CompoundFile::open(Cursor::new(data)) else {
        return;
    };
    let mut macros = false;
    let mut encrypted = false;
    for e in cf.walk().take(4096) {
        let name = e.name().to_ascii_lowercase();
        if name == "vba" || name == "_vba_project" || name == "macros" || name == "vba_project" {
            macros = true;
        }
        if name == "encryptedpackage" {
            encrypted = true;
        }
    }
    if macros {
        ctx.add("att.macro", format!("{label} contains Office macros"));
    }
    if encrypted {
        ctx.add(
            "att.office_encrypted",
            format!("{label} is a password-protected Office file"),
        );
    }
}

fn ooxml(ctx: &mut Ctx<'_>, label: &str, data: &[u8]) {
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(data)) else {
        return;
    };
    for i in 0..z.len().min(MAX_ARCHIVE_ENTRIES) {
        let Ok(f) = z.by_index_raw(i) else { continue };
        let name = f.name().map(|c| c.to_ascii_lowercase()).unwrap_or_default();
        if name.ends_with("vbaproject.bin") {
            ctx.add(
                "att.macro",
                format!("{label} contains Office macros (vbaProject.bin)"),
            );
        }
        if name.ends_with(".rels") && f.size() < 1024 * 1024 {
            drop(f);
            let mut s = String::new();
            if let Ok(f) = z.by_index(i) {
                let _ = f.take(1024 * 1024).read_to_string(&mut s);
            }
            if s.contains("TargetMode=\"External\"")
                && (s.contains("attachedTemplate") || s.contains("oleObject"))
            {
                ctx.add(
                    "att.remote_template",
                    format!("{label} loads a template or object from the internet when opened"),
                );
            }
        }
    }
}

fn pdf(ctx: &mut Ctx<'_>, label: &str, data: &[u8]) {
    // Cheap keyword pass over the raw bytes (works even on damaged or huge PDFs), with SIMD
    // substring search (comparing at every byte cost more than parsing the document).
    let raw = &data[..data.len().min(MAX_PDF_BYTES)];
    let has = |k: &[u8]| memchr::memmem::find(raw, k).is_some();
    if has(b"/JavaScript") || has(b"/JS ") || has(b"/JS(") || has(b"/JS<") {
        ctx.add("att.pdf_javascript", format!("{label} contains JavaScript"));
    }
    if has(b"/Launch") {
        ctx.add("att.pdf_launch", format!("{label} can launch a program"));
    }
    if has(b"/EmbeddedFile") {
        ctx.add(
            "att.pdf_embedded_file",
            format!("{label} carries another file inside it"),
        );
    }
    if data.len() > MAX_PDF_BYTES {
        return;
    }
    let Ok(doc) = lopdf::Document::load_mem(raw) else {
        return;
    };
    let mut uris = Vec::new();
    for (_, obj) in doc.objects.iter().take(20_000) {
        if let Ok(d) = obj.as_dict()
            && let Ok(u) = d.get(b"URI").and_then(|o| o.as_str())
        {
            uris.push(String::from_utf8_lossy(u).to_string());
        }
        if uris.len() >= 50 {
            break;
        }
    }
    if !uris.is_empty() {
        ctx.add(
            "att.pdf_links",
            format!(
                "{label} links to {} ({} link(s))",
                quote(&uris[0]),
                uris.len()
            ),
        );
        let pages = doc.get_pages().len();
        if pages <= 2 {
            ctx.add(
                "att.pdf_lure",
                format!("{label} is a {pages}-page document whose purpose is a link"),
            );
        }
    }
    for u in uris {
        ctx.add_link(u, None, LinkSource::Pdf);
    }
    crate::timing::time(crate::timing::Phase::Qr, || {
        super::qr::pdf_images(ctx, &doc, label)
    });
}

fn calendar(ctx: &mut Ctx<'_>, label: &str, data: &[u8]) {
    let text = String::from_utf8_lossy(&data[..data.len().min(1024 * 1024)])
        .replace("\r\n ", "")
        .replace("\n ", "");
    let finder = linkify::LinkFinder::new();
    let mut n = 0;
    for l in finder
        .links(&text)
        .filter(|l| *l.kind() == linkify::LinkKind::Url)
        .take(20)
    {
        ctx.add_link(l.as_str().to_string(), None, LinkSource::Calendar);
        n += 1;
    }
    if n > 0 {
        ctx.add(
            "att.calendar_links",
            format!("{label} is a calendar invite carrying {n} link(s)"),
        );
    }
}
