//! A scenario with a very long chain of stages is checked in time linear in its size.
//!
//! Validation used to compare every stage with every other (duplicate names, the suppliers of each customer, the
//! pruning of the cycle search): a chain of 100,000 stages took 80 s, and this test's 20,000 about 4 s in a
//! release build (minutes in a debug build). There is no timing assertion: the test is that a suite run with it
//! stays fast, and the chain is large enough that a quadratic step would make it stand out.

/// A chain `s0 → s1 → … → s{n-1} → eu` of one material, every stage with capacity to spare.
fn chain(n: usize) -> String {
    let mut text = String::from("[scenario]\nname = \"chain\"\n\n[materials.m]\nunit = \"t\"\n\n");
    for i in 0..n {
        text.push_str(&format!("[stages.s{i}]\nregion = \"CN\"\ncapacity_t_per_year = 1000\noutputs = {{ m = 1 }}\n"));
        if i > 0 {
            text.push_str("inputs = { m = 1 }\n");
        }
    }
    for i in 1..n {
        text.push_str(&format!("[[links]]\nfrom = \"s{}\"\nto = \"s{i}\"\nmaterial = \"m\"\nshare = 1.0\n", i - 1));
    }
    text.push_str(&format!("[[links]]\nfrom = \"s{}\"\nto = \"eu\"\nmaterial = \"m\"\nshare = 1.0\n", n - 1));
    text.push_str("[end_uses.eu]\nregion = \"US\"\ndemand_units_per_year = 100\nintensity = { m = 1 }\n");
    text
}

#[test]
fn a_chain_of_20000_stages_validates() {
    let n = 20_000;
    let scenario = match chokepoint_scenario::parse("chain.toml", &chain(n)) {
        Ok(s) => s,
        Err(d) => panic!("{}", d.render()),
    };
    let spec = scenario.model.spec();
    assert_eq!((spec.stages.len(), spec.links.len(), spec.end_uses.len()), (n, n, 1));
}

#[test]
fn a_long_chain_with_a_cycle_is_refused_once() {
    // The last stage also feeds the first: one cycle through every stage, reported on one link.
    let n = 2_000;
    let text = chain(n).replacen(
        "[stages.s0]\nregion = \"CN\"\ncapacity_t_per_year = 1000\noutputs = { m = 1 }\n",
        "[stages.s0]\nregion = \"CN\"\ncapacity_t_per_year = 1000\noutputs = { m = 1 }\ninputs = { m = 1 }\n",
        1,
    ) + &format!("[[links]]\nfrom = \"s{}\"\nto = \"s0\"\nmaterial = \"m\"\nshare = 1.0\n", n - 1);
    let d = chokepoint_scenario::parse("chain.toml", &text).expect_err("a cycle");
    let cycles: Vec<_> = d.items.iter().filter(|i| i.code == "cycle-in-links").collect();
    assert_eq!(cycles.len(), 1, "{}", d.render());
}
