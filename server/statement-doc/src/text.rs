//! Text in the PDF's standard Helvetica: WinAnsi bytes and their widths.
//!
//! The statement uses two of the 14 standard PDF fonts, Helvetica and Helvetica-Bold, which every reader has,
//! so no font file is embedded. With `/Encoding /WinAnsiEncoding` (Windows-1252) a string is one byte a
//! character: [`winansi`] encodes, and [`width`] measures with the fonts' Adobe AFM advance widths, for
//! right-aligned numbers and for cutting a long name to its column.

/// A font of the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

/// `text` in WinAnsiEncoding, the PDF's name for Windows-1252: ASCII and Latin-1 as they are, the
/// typographic characters of 0x80–0x9F (€ is 0x80), the minus sign (U+2212, which `Currency::format` writes
/// before a negative amount) as the en dash (0x96, a digit's width, which is how it is typeset in Helvetica),
/// and anything else, control characters included, as '?'.
pub fn winansi(text: &str) -> Vec<u8> {
    text.chars().map(winansi_byte).collect()
}

fn winansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' | '\u{A0}'..='\u{FF}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' | '\u{2212}' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// The width of WinAnsi `bytes` in `font` at `size` points, in points.
pub(crate) fn width(bytes: &[u8], font: Font, size: f32) -> f32 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let units: u32 = bytes
        .iter()
        .map(|&b| u32::from(table[usize::from(b.max(32)) - 32]))
        .sum();
    units as f32 * size / 1000.0
}

/// `bytes` cut to fit `max` points, ending in an ellipsis (…) where cut.
pub(crate) fn fit(mut bytes: Vec<u8>, font: Font, size: f32, max: f32) -> Vec<u8> {
    const ELLIPSIS: u8 = 0x85;
    if width(&bytes, font, size) <= max {
        return bytes;
    }
    let room = max - width(&[ELLIPSIS], font, size);
    while !bytes.is_empty() && width(&bytes, font, size) > room {
        bytes.pop();
    }
    bytes.push(ELLIPSIS);
    bytes
}

// The advance widths from Adobe's Core 14 AFM files (Helvetica.afm and Helvetica-Bold.afm, version 002.000,
// which may be copied for any purpose), by the glyph each WinAnsi byte names; the bytes that Windows-1252
// leaves undefined (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D) are the bullet's, as PDF readers show them, and are
// never written by `winansi`.

/// Helvetica: the advance width of each WinAnsi byte from 32 (space) to 255, in 1/1000 em.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350, // 0x70
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 0x80
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];
/// Helvetica-Bold: the advance width of each WinAnsi byte from 32 (space) to 255, in 1/1000 em.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350, // 0x70
    556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 0x80
    350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_encoded_in_winansi() {
        let cases: [(&str, &[u8]); 8] = [
            ("Station 1", b"Station 1"),
            ("€12.34", b"\x8012.34"),
            ("\u{2212}€0.50", b"\x96\x800.50"),
            ("Müller & Søn", b"M\xFCller & S\xF8n"),
            (
                "Œuvre “quoted” — ok…",
                b"\x8Cuvre \x93quoted\x94 \x97 ok\x85",
            ),
            ("Łódź", b"?\xF3d?"),
            ("a\tb\nc", b"a?b?c"),
            ("充電 🚗", b"?? ?"),
        ];
        for (text, bytes) in cases {
            assert_eq!(winansi(text), bytes, "{text:?}");
        }
    }

    #[test]
    fn widths_are_helveticas() {
        // Every digit is 556/1000 em in both fonts, so are € and the en dash; a period is 278.
        assert_eq!(width(b"0123456789", Font::Regular, 10.0), 55.6);
        assert_eq!(width(b"\x80\x96", Font::Bold, 10.0), 11.12);
        assert_eq!(width(b"12.34", Font::Regular, 1000.0), 2502.0);
        // Letters differ between the two.
        assert_eq!(width(b"Jil", Font::Regular, 1000.0), 944.0);
        assert_eq!(width(b"Jil", Font::Bold, 1000.0), 1112.0);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let short = winansi("Station 1");
        assert_eq!(fit(short.clone(), Font::Regular, 10.0, 100.0), short);
        let cut = fit(
            winansi("A very long station name at the back of the car park"),
            Font::Regular,
            10.0,
            100.0,
        );
        assert!(cut.ends_with(b"\x85"), "{cut:?}");
        assert!(width(&cut, Font::Regular, 10.0) <= 100.0);
        assert!(cut.starts_with(b"A very long"));
        assert_eq!(fit(winansi("WWW"), Font::Bold, 10.0, 5.0), b"\x85");
    }
}
