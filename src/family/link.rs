//! The look-up link a receipt carries, as text and as a QR code a phone camera opens.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `{base}/tra-cuu?receipt_code=…`, the code filled in so the family types only four digits.
/// `None` when `base` is not a URL (config checks refuse that at start-up).
pub fn lookup_url(base: &str, receipt_code: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(base).ok()?.join("/tra-cuu").ok()?;
    url.query_pairs_mut().append_pair("receipt_code", receipt_code);
    Some(url.into())
}

/// `text` as an SVG QR code (medium error correction: a receipt may be creased or smudged).
/// `None` only for text too long for any QR version, which a look-up link never is.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_carries_the_code_escaped() {
        assert_eq!(
            lookup_url("https://lienthong.example.vn/", "000.00.22.H26-261120-0001").as_deref(),
            Some("https://lienthong.example.vn/tra-cuu?receipt_code=000.00.22.H26-261120-0001")
        );
        assert_eq!(
            lookup_url("http://127.0.0.1:8080", "A B&C").as_deref(),
            Some("http://127.0.0.1:8080/tra-cuu?receipt_code=A+B%26C")
        );
        assert!(lookup_url("not a url", "X").is_none());
    }

    #[test]
    fn the_qr_code_is_an_svg_image() {
        let svg = qr_svg("https://lienthong.example.vn/tra-cuu?receipt_code=000.00.22.H26-261120-0001").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        assert!(!svg.contains("<script"));
    }
}
