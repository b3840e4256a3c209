//! Property test: no input makes `parse` panic. Mutations and truncations of a valid scenario reach deep into
//! the reader and the lowering, where a well-formed document with one wrong byte is most likely to trip them.

use std::path::Path;

use proptest::prelude::*;

fn small_chain() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/valid/small_chain.toml");
    std::fs::read(path).expect("the fixture exists")
}

/// Bytes that matter to TOML and to the format: delimiters, digits, signs, letters that start keywords.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![prop::sample::select(b"[]{}=\",.#\n -+0123456789_etanf".to_vec()), any::<u8>(),]
}

fn parse_bytes(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Err(d) = chokepoint_scenario::parse("fuzz.toml", &text) {
        assert!(d.error_count() >= 1);
        let _ = d.render();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), interesting_byte(), 0u8..3), 1..8)
    ) {
        let mut bytes = small_chain();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        parse_bytes(&bytes);
    }

    #[test]
    fn truncated_scenarios_never_panic(at in any::<prop::sample::Index>()) {
        let bytes = small_chain();
        let end = at.index(bytes.len() + 1);
        parse_bytes(&bytes[..end]);
    }

    #[test]
    fn deleted_lines_never_panic(lines in prop::collection::vec(any::<prop::sample::Index>(), 1..12)) {
        let text = String::from_utf8(small_chain()).expect("UTF-8");
        let mut kept: Vec<&str> = text.lines().collect();
        for at in lines {
            if !kept.is_empty() {
                kept.remove(at.index(kept.len()));
            }
        }
        parse_bytes(kept.join("\n").as_bytes());
    }
}
