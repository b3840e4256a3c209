//! Engine checks: closed forms, invariants (mass balance, thread-count invariance, zero shortfall without
//! disruptions) and property tests on random graphs.

mod batches;
mod closed_form;
mod invariants;
mod markets;
mod mitigations;
mod property;
mod support;
