//! Scenario bytes to text: UTF-8 only, and for anything else a diagnostic at the first byte that is not UTF-8,
//! with its line, column and excerpt, and a guess at what the file is (Latin-1, UTF-16, truncated UTF-8, binary).

use crate::diagnostic::{Diagnostic, Diagnostics};

/// The largest scenario file, or base, read: a scenario is a few hundred kilobytes at most, and a file or device
/// that never ends (`/dev/zero`) must not exhaust memory.
pub const MAX_SCENARIO_BYTES: usize = 16 * 1024 * 1024;

/// The text of a scenario file, or its refusal as an `not-utf8` diagnostic pointing at the first byte that is
/// not UTF-8 (the excerpt shows the file decoded with `�` for such bytes). A byte-order mark is kept: the reader
/// skips it and columns do not count it.
pub fn decode(origin: &str, bytes: &[u8]) -> Result<String, Diagnostics> {
    match std::str::from_utf8(bytes) {
        // A zero byte is UTF-8 but never TOML (not even in a string): it is what UTF-16 text without a byte-order
        // mark, or a binary file, looks like when read as UTF-8.
        Ok(text) => match text.find('\0') {
            None => Ok(text.to_owned()),
            Some(at) => {
                let d = Diagnostic { span: Some(at..at + 1), ..not_utf8(bytes, at, false) };
                Err(Diagnostics {
                    origin: origin.to_owned(),
                    source: text.to_owned(),
                    items: vec![d],
                    other_sources: Vec::new(),
                })
            }
        },
        Err(e) => {
            let shown = String::from_utf8_lossy(bytes).into_owned();
            // Bytes before the error are valid UTF-8, so the lossy text has the same prefix.
            let at = e.valid_up_to();
            let d = not_utf8(bytes, at, e.error_len().is_none());
            let d = Diagnostic { span: Some(at..at + '\u{fffd}'.len_utf8()), ..d };
            Err(Diagnostics { origin: origin.to_owned(), source: shown, items: vec![d], other_sources: Vec::new() })
        }
    }
}

/// What a file that is not UTF-8 most likely is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guess {
    Utf16 { little_endian: bool, bom: bool },
    Utf32 { little_endian: bool },
    TruncatedUtf8,
    Binary,
    Latin1,
}

impl Guess {
    fn of(bytes: &[u8], ends_inside_a_character: bool) -> Self {
        match bytes {
            [0xFF, 0xFE, 0, 0, ..] => return Guess::Utf32 { little_endian: true },
            [0, 0, 0xFE, 0xFF, ..] => return Guess::Utf32 { little_endian: false },
            [0xFF, 0xFE, ..] => return Guess::Utf16 { little_endian: true, bom: true },
            [0xFE, 0xFF, ..] => return Guess::Utf16 { little_endian: false, bom: true },
            _ => {}
        }
        // Text in UTF-16 without a mark: ASCII characters leave a zero byte in every other position.
        let sample = &bytes[..bytes.len().min(4096)];
        let pairs = sample.len() / 2;
        let zeros_at = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
        if pairs >= 2 {
            if zeros_at(1) * 10 >= pairs * 3 && zeros_at(0) * 10 < pairs {
                return Guess::Utf16 { little_endian: true, bom: false };
            }
            if zeros_at(0) * 10 >= pairs * 3 && zeros_at(1) * 10 < pairs {
                return Guess::Utf16 { little_endian: false, bom: false };
            }
        }
        let control = sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')).count();
        if control * 20 > sample.len().max(1) {
            return Guess::Binary;
        }
        if ends_inside_a_character {
            return Guess::TruncatedUtf8;
        }
        Guess::Latin1
    }
}

/// The `not-utf8` diagnostic for `bytes`, whose first bad byte is at `at`.
fn not_utf8(bytes: &[u8], at: usize, ends_inside_a_character: bool) -> Diagnostic {
    let byte = bytes.get(at).copied().unwrap_or(0);
    let (looks, help) = match Guess::of(bytes, ends_inside_a_character) {
        Guess::Utf16 { little_endian, bom } => (
            format!(
                "it looks like UTF-16 {} ({} byte-order mark)",
                if little_endian { "little-endian" } else { "big-endian" },
                if bom { "with a" } else { "without a" }
            ),
            format!(
                "save the file as UTF-8 (for example `iconv -f UTF-16{} -t UTF-8`)",
                if bom {
                    ""
                } else if little_endian {
                    "LE"
                } else {
                    "BE"
                }
            ),
        ),
        Guess::Utf32 { little_endian } => (
            format!("it looks like UTF-32 {}", if little_endian { "little-endian" } else { "big-endian" }),
            "save the file as UTF-8 (for example `iconv -f UTF-32 -t UTF-8`)".to_owned(),
        ),
        Guess::TruncatedUtf8 => (
            "it ends inside a multi-byte UTF-8 character, as a file cut short does".to_owned(),
            "restore the end of the file, or remove its last, incomplete character".to_owned(),
        ),
        Guess::Binary => {
            ("it looks like a binary file, not text".to_owned(), "give the path of a scenario file in TOML".to_owned())
        }
        Guess::Latin1 => {
            let latin1 = char::from(byte);
            (
                format!(
                    "it looks like Latin-1 or Windows-1252 (byte 0x{byte:02X} would be `{}` there)",
                    if latin1.is_control() { '\u{fffd}' } else { latin1 }
                ),
                "save the file as UTF-8 (for example `iconv -f WINDOWS-1252 -t UTF-8`)".to_owned(),
            )
        }
    };
    Diagnostic::error("not-utf8", "", format!("the file is not UTF-8 text: byte 0x{byte:02X} at offset {at}; {looks}"))
        .help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(bytes: &[u8]) -> String {
        let d = decode("x.toml", bytes).expect_err("not UTF-8");
        d.render()
    }

    #[test]
    fn utf8_passes_and_keeps_its_byte_order_mark() {
        assert_eq!(decode("x.toml", "\u{feff}a = 1\n".as_bytes()).unwrap(), "\u{feff}a = 1\n");
    }

    #[test]
    fn latin1_is_located_and_named() {
        let text = message(b"[scenario]\nname = \"caf\xe9\"\n");
        assert!(text.contains("x.toml:2:12"), "{text}");
        assert!(text.contains("Latin-1") && text.contains("`\u{e9}`"), "{text}");
        assert!(text.contains("2 | name = \"caf\u{fffd}\""), "{text}");
    }

    #[test]
    fn utf16_with_and_without_a_mark() {
        let utf16 = |le: bool, bom: bool| {
            let mut out = Vec::new();
            if bom {
                out.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
            }
            for u in "[scenario]\nname = \"x\"\n".encode_utf16() {
                out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            out
        };
        assert!(message(&utf16(true, true)).contains("UTF-16 little-endian (with a byte-order mark)"));
        assert!(message(&utf16(false, true)).contains("UTF-16 big-endian (with a byte-order mark)"));
        // Without a mark, the zero bytes are refused (they are UTF-8, but never TOML).
        let le = message(&utf16(true, false));
        assert!(le.contains("UTF-16 little-endian (without a byte-order mark)") && le.contains("x.toml:1:2"), "{le}");
        let be = message(&utf16(false, false));
        assert!(be.contains("UTF-16 big-endian (without a byte-order mark)") && be.contains("x.toml:1:1"), "{be}");
    }

    #[test]
    fn truncated_utf8_and_binary() {
        assert!(message("a = \"\u{e9}".as_bytes().split_last().unwrap().1).contains("ends inside a multi-byte"));
        let mut binary = vec![0x7F, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28];
        binary.extend([0u8; 64]);
        assert!(message(&binary).contains("binary file"), "{}", message(&binary));
    }
}
