//! Official documents as PDF, written directly (no dependency): A4 pages of text in the
//! standard Chinese font STSong-Light (Adobe-GB1, encoding UniGB-UCS2-H), which PDF
//! readers supply themselves, as Chinese government systems commonly do; the file stays
//! a few kilobytes. Lines are wrapped by width (a CJK character is one em, ASCII half).

/// A block of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Title(String),
    Paragraph(String),
    /// Right-aligned (document number, date).
    Right(String),
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 64.0;

fn width(s: &str, size: f32) -> f32 {
    s.chars()
        .map(|c| if c.is_ascii() { size * 0.5 } else { size })
        .sum()
}

fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for c in text.chars() {
        let mut candidate = line.clone();
        candidate.push(c);
        // A closing mark never starts a line (避头); it may hang past the margin.
        let closing = "，。、；：）」』！？》".contains(c);
        if width(&candidate, size) > max && !line.is_empty() && !closing {
            lines.push(std::mem::take(&mut line));
        }
        line.push(c);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// UTF-16BE hex, as UniGB-UCS2-H takes it (characters outside the BMP become U+FFFD).
fn hex(s: &str) -> String {
    s.chars()
        .map(|c| {
            let u = c as u32;
            format!("{:04X}", if u > 0xFFFF { 0xFFFD } else { u })
        })
        .collect()
}

/// Renders blocks into a PDF file.
pub fn render(blocks: &[Block]) -> Vec<u8> {
    write_pdf(&lay_out(blocks))
}

/// A line placed on a page: font size, x, y and its text.
type Placed = (f32, f32, f32, String);

/// Lays blocks out in lines, page by page: titles centred, right-aligned blocks to the
/// right margin, paragraphs with their first line indented.
fn lay_out(blocks: &[Block]) -> Vec<Vec<Placed>> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = PAGE_H - MARGIN;
    let usable = PAGE_W - 2.0 * MARGIN;
    for b in blocks {
        let (size, lead, indent) = match b {
            Block::Title(_) => (20.0, 36.0, 0.0),
            Block::Paragraph(_) => (12.0, 22.0, 24.0),
            Block::Right(_) => (12.0, 22.0, 0.0),
        };
        let text = match b {
            Block::Title(t) | Block::Paragraph(t) | Block::Right(t) => t,
        };
        for (k, line) in wrap(
            text,
            size,
            usable
                - if matches!(b, Block::Paragraph(_)) {
                    indent
                } else {
                    0.0
                },
        )
        .into_iter()
        .enumerate()
        {
            if y - lead < MARGIN {
                pages.push(Vec::new());
                y = PAGE_H - MARGIN;
            }
            y -= lead;
            let x = match b {
                Block::Title(_) => (PAGE_W - width(&line, size)) / 2.0,
                Block::Right(_) => PAGE_W - MARGIN - width(&line, size),
                Block::Paragraph(_) if k == 0 => MARGIN + indent,
                Block::Paragraph(_) => MARGIN,
            };
            pages.last_mut().expect("a page").push((size, x, y, line));
        }
        y -= 6.0;
    }
    pages
}

/// Writes laid-out pages as a PDF file with the CJK font.
fn write_pdf(pages: &[Vec<Placed>]) -> Vec<u8> {
    // Objects: 1 catalog, 2 pages, 3 font, 4 descendant font, 5 descriptor, then per page
    // a page object and its content stream.
    let mut objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        String::new(),
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>".into(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>".into(),
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".into(),
    ];
    let mut kids = Vec::new();
    for lines in pages {
        let mut content = String::from("BT\n");
        for (size, x, y, text) in lines {
            content.push_str(&format!(
                "/F1 {size} Tf 1 0 0 1 {x:.1} {y:.1} Tm <{}> Tj\n",
                hex(text)
            ));
        }
        content.push_str("ET\n");
        let content_id = objects.len() + 2;
        let page_id = objects.len() + 1;
        kids.push(format!("{page_id} 0 R"));
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>"
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    objects[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    );
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_a_well_formed_pdf_with_its_text() {
        let long = "经审核审批，决定给予您家庭最低生活保障。".repeat(20);
        let pdf = render(&[
            Block::Title("审批决定书".into()),
            Block::Right("SQ2026112200001-1".into()),
            Block::Paragraph(long.clone()),
        ]);
        // One character per byte, so offsets in the text are offsets in the file.
        let text: String = pdf
            .iter()
            .map(|&b| if b < 128 { b as char } else { '?' })
            .collect();
        assert!(text.starts_with("%PDF-1.4") && text.trim_end().ends_with("%%EOF"));
        // The title's characters, as UTF-16 hex.
        assert!(text.contains(&hex("审批决定书")));
        // The long paragraph is wrapped onto several lines, none wider than the page.
        let lines = wrap(&long, 12.0, PAGE_W - 2.0 * MARGIN - 24.0);
        assert!(
            lines.len() > 5
                && lines
                    .iter()
                    .all(|l| width(l, 12.0) <= PAGE_W - 2.0 * MARGIN)
        );
        assert_eq!(lines.concat(), long);
        // Every xref offset points at its object.
        let xref = text.find("xref\n").unwrap();
        let entries: Vec<usize> = text[xref..]
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().unwrap())
            .collect();
        for (i, off) in entries.iter().enumerate() {
            assert!(
                text[*off..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
        let start: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(start, xref);
    }

    #[test]
    fn many_paragraphs_flow_onto_more_pages() {
        let blocks: Vec<Block> = (0..80)
            .map(|i| Block::Paragraph(format!("第{i}段")))
            .collect();
        let text: String = render(&blocks)
            .iter()
            .map(|&b| if b < 128 { b as char } else { '?' })
            .collect();
        // 80 paragraphs of 28 pt each on 714 pt of page: four pages.
        assert!(text.contains("/Count 4"), "{}", &text[..400]);
    }
}
