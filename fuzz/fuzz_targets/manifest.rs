//! The manifest parser and validator on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lienthong::fuzz::manifest(data));
