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
/// far into the future or past. For links found on pages; the entries a feed or sitemap lists
/// are the publisher's own and are not judged by it (`?id=2087` and `/ky-uc/1975/…` are articles).
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
    let now = chrono::Datelike::year(&chrono::Utc::now());
    let far = |year: i32| year > now + 1 || year < 1990;
    calendar_years(&segments, url).any(far) || url.query_pairs().count() > 8
}

/// The years a calendar pages by: a path segment of a year that a month follows or that ends
/// the path (`/calendar/2031/07`, `/lich/2031`), a segment or query value that is a year and
/// month with a separator (`2039-05`), or under a date key a year alone or a year and month in
/// digits (`?year=2039`, `?nam=2039`, `?month=203905`, `?ngay=20390517`). A year inside a slug
/// or an id (`/tin/2030/quy-hoach.html`, `?id=2087`, `/tin/20871234`) is not one.
fn calendar_years<'a>(segments: &'a [&'a str], url: &'a Url) -> impl Iterator<Item = i32> + 'a {
    let in_path = segments.iter().enumerate().filter_map(|(i, s)| {
        let month_after = segments.get(i + 1).is_none_or(|next| month(next).is_some());
        match year(s) {
            Some(y) if month_after => Some(y),
            _ => year_and_month(s),
        }
    });
    let in_query = url.query_pairs().filter_map(|(key, value)| {
        let dated = DATE_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k));
        let digits = |v: &str| matches!(v.len(), 4 | 6 | 8) && v.bytes().all(|b| b.is_ascii_digit());
        let dated_digits = (dated && digits(&value)).then(|| value.get(..4).and_then(year)).flatten();
        year_and_month(&value).or(dated_digits)
    });
    in_path.chain(in_query)
}

/// Query keys whose value may be a year alone.
const DATE_KEYS: &[&str] = &["year", "y", "nam", "date", "ngay", "month", "thang", "archive", "calendar"];

/// A year (1900–2200) written as four digits and nothing else.
fn year(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|y| (1900..=2200).contains(y))
}

/// A month, `1` to `12`, with or without a leading zero.
fn month(s: &str) -> Option<u32> {
    (s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|m| (1..=12).contains(m))
}

/// The year of a year and month written with a separator (`2039-05`, `2039_05`, `2039-05-17`).
/// Digits alone (`20390517`) are as often an article's id.
fn year_and_month(s: &str) -> Option<i32> {
    let y = year(s.get(..4)?)?;
    let rest = s.get(4..)?;
    let separated = matches!(rest.as_bytes().first(), Some(b'-' | b'_' | b'.'));
    let month_part = rest.get(1..3)?;
    let tail_ok = rest.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
    (separated && tail_ok && month(month_part).is_some_and(|_| month_part.len() == 2)).then_some(y)
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
        assert!(looks_like_trap(&u("https://e.example/lich/2031")));
        assert!(looks_like_trap(&u("https://e.example/lich/1980/07")));
        assert!(looks_like_trap(&u("https://e.example/su-kien?month=2039-05")));
        assert!(looks_like_trap(&u("https://e.example/su-kien/2039-05-17")));
        assert!(looks_like_trap(&u("https://e.example/lich?nam=2039")));
        assert!(looks_like_trap(&u("https://e.example/su-kien?month=203905")));
        assert!(looks_like_trap(&u("https://e.example/su-kien?ngay=20390517")));
    }

    #[test]
    fn years_in_slugs_and_ids_are_not_traps() {
        let u = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!());
        for article in [
            "https://e.example/index.php?option=com_content&view=article&id=2087",
            "https://e.example/tin-tuc?id=1945123",
            "https://e.example/tin/2030/quy-hoach-thanh-pho.html",
            "https://e.example/ky-uc/1975/ngay-thong-nhat.html",
            "https://e.example/tam-nhin-2045-cua-thanh-pho.html",
            "https://e.example/tin-tuc/20871234.htm",
        ] {
            assert!(!looks_like_trap(&u(article)), "{article}");
        }
    }
}
