//! `chokepoint graph`: DOT and Mermaid output, disrupted links marked, a closed pipe is not an error.

use std::process::{Command, Stdio};

use super::{arg, assert_exit, chokepoint, small_chain, stdout};

#[test]
fn dot_groups_by_region_and_marks_disrupted_links() {
    let o = chokepoint(&["graph", arg(&small_chain())]);
    assert_exit(&o, 0);
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph \"small_chain\" {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    assert!(dot.contains("label=\"CN\"") && dot.contains("label=\"JP\"") && dot.contains("label=\"US\""), "{dot}");
    assert_eq!(dot.matches("shape=doubleoctagon").count(), 2, "two end uses: {dot}");
    assert_eq!(dot.matches(" -> ").count(), 6, "six links: {dot}");
    // Dy and Tb oxide from China to Japan are licensed (and embargoed on escalation); NdPr only embargoed.
    let dashed: Vec<&str> = dot.lines().filter(|l| l.contains("style=dashed")).collect();
    assert_eq!(dashed.len(), 3, "{dot}");
    assert!(dashed.iter().any(|l| l.contains("dy_oxide 100%") && l.contains("cn_licensing")), "{dot}");
    assert!(dot.lines().any(|l| l.contains("magnet 100%") && !l.contains("dashed")), "{dot}");
}

#[test]
fn mermaid_is_a_flowchart_with_styled_disrupted_links() {
    let o = chokepoint(&["graph", arg(&small_chain()), "--format", "mermaid"]);
    assert_exit(&o, 0);
    let mermaid = stdout(&o);
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert_eq!(mermaid.matches("-.->").count(), 3, "{mermaid}");
    assert_eq!(mermaid.matches("linkStyle").count(), 3, "{mermaid}");
    assert_eq!(mermaid.matches(" -->|").count(), 3, "{mermaid}");
    assert_eq!(mermaid.matches("subgraph").count(), 3, "{mermaid}");
    assert_eq!(mermaid.matches("([\"").count(), 2, "end uses are stadium-shaped: {mermaid}");
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(["graph", arg(&small_chain())])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}
