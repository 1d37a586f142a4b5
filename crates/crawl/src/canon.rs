//! URL canonicalisation: one spelling per page, so the seen-set and item ids do not split.

use url::Url;

/// Query parameters that only track the click, never select content.
fn is_tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "yclid"
                | "igshid"
                | "mc_cid"
                | "mc_eid"
                | "zarsrc"
                | "zalo_source"
                | "_ga"
                | "_gl"
                | "ref_src"
                | "vn_source"
                | "vn_medium"
                | "vn_campaign"
                | "s_cid"
                | "cmpid"
                | "ocid"
                | "spm"
                | "share"
                | "from"
                | "ved"
                | "ei"
        )
}

/// The canonical form of a URL: lower-case scheme and host and default ports (the `url` crate's
/// parsing), no fragment, no tracking parameters, remaining parameters sorted, no empty `?`.
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    let mut pairs: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| !is_tracking(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if pairs.is_empty() {
        out.set_query(None);
    } else {
        pairs.sort();
        out.query_pairs_mut().clear().extend_pairs(pairs);
    }
    out
}

/// Parse and canonicalise a link found on `base`; `None` for non-http(s) or unparsable links.
pub fn canonical_link(base: Option<&Url>, href: &str) -> Option<Url> {
    let href = href.trim();
    let url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then(|| canonicalize(&url))
}

/// Signs of a spider trap: very deep paths, a segment repeated many times, calendar paging
/// far into the future or past.
pub fn looks_like_trap(url: &Url) -> bool {
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|x| !x.is_empty()).collect()).unwrap_or_default();
    if segments.len() > 12 {
        return true;
    }
    let mut counts = std::collections::HashMap::new();
    for s in &segments {
        *counts.entry(*s).or_insert(0) += 1;
    }
    if counts.values().any(|&n| n >= 3) {
        return true;
    }
    // /calendar/2031/07 and ?month=2039-05 style paging.
    let years = segments
        .iter()
        .map(|s| s.to_string())
        .chain(url.query_pairs().map(|(_, v)| v.into_owned()))
        .filter_map(|s| s.get(..4).and_then(|y| y.parse::<i32>().ok()))
        .filter(|y| (1900..=2200).contains(y));
    let now = chrono::Datelike::year(&chrono::Utc::now());
    for y in years {
        if y > now + 1 || y < 1990 {
            return true;
        }
    }
    url.query_pairs().count() > 8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(&Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))).to_string()
    }

    #[test]
    fn tracking_and_noise_removed() {
        assert_eq!(
            canon("HTTPS://VnExpress.NET:443/a.html?utm_source=fb&fbclid=x#top"),
            "https://vnexpress.net/a.html"
        );
        assert_eq!(canon("https://e.example/a?b=2&a=1&zarsrc=30"), "https://e.example/a?a=1&b=2");
        assert_eq!(canon("https://e.example/a?"), "https://e.example/a");
    }

    #[test]
    fn traps() {
        let u = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!());
        assert!(looks_like_trap(&u("https://e.example/a/b/a/b/a/b/x")));
        assert!(looks_like_trap(&u("https://e.example/calendar/2199/01")));
        assert!(!looks_like_trap(&u("https://e.example/thoi-su/2024/05/bai-viet.html")));
    }
}
