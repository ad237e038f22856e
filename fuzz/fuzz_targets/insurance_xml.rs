//! The social-insurance XML parser on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lienthong::fuzz::insurance_xml(data));
