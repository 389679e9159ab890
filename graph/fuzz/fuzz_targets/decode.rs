//! `cargo +nightly fuzz run decode` (from `graph/`): hostile `.trc` bytes
//! must give an error, never a panic or an unbounded allocation; whatever
//! decodes must round-trip to its canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use torc_graph::trc;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(graph) = trc::decode(bytes) {
        let canonical = trc::canonicalize(&graph);
        assert_eq!(trc::decode(&trc::encode(&graph)).as_ref(), Ok(&canonical));
        assert_eq!(trc::encode(&canonical), trc::encode(&graph));
    }
});
