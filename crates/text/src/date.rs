//! Dates as news pages and feeds write them, Vietnamese and international.
//!
//! Accepts RFC 3339 / ISO 8601, RFC 2822, day-first numeric dates with optional time and zone
//! (`Thứ sáu, 24/12/2021, 10:30 (GMT+7)`, `24-12-2021 10:30`, `10:30 24/12/2021`, `10h30`),
//! spelled-out Vietnamese dates (`ngày 24 tháng 12 năm 2021`), English month names
//! (`Dec 24, 2021`), and relative forms (`5 phút trước`, `2 giờ trước`, `hôm qua`, `3 days ago`).
//! Day first always; Asia/Ho_Chi_Minh (UTC+7, no daylight saving) when no zone is given.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::fold::fold;

const VIETNAM_OFFSET_SECS: i32 = 7 * 3600;

/// Vietnam's time zone (Asia/Ho_Chi_Minh has kept UTC+7 without daylight saving since 1975).
pub fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(VIETNAM_OFFSET_SECS).unwrap_or_else(|| unreachable!("+07:00 is valid"))
}

/// Parse a date relative to the current time.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    parse_date_at(text, Utc::now())
}

/// Parse a date; relative forms (`2 giờ trước`) count back from `now`.
pub fn parse_date_at(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 300 {
        return None;
    }
    parse_machine(text).or_else(|| parse_human(text, now))
}

fn parse_machine(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(d) = DateTime::parse_from_str(text, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return local(naive, vietnam());
        }
    }
    None
}

fn local(naive: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    offset.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(u32, usize),
    Word(String),
    Sep(char),
}

fn lex(text: &str) -> Vec<Tok> {
    let folded: String = fold(text).to_lowercase();
    let mut toks = Vec::new();
    let mut chars = folded.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut value: u32 = 0;
            let mut len = 0;
            while let Some(&d) = chars.peek() {
                let Some(digit) = d.to_digit(10) else { break };
                value = value.saturating_mul(10).saturating_add(digit);
                len += 1;
                chars.next();
            }
            toks.push(Tok::Num(value, len));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&d) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                word.push(d);
                chars.next();
            }
            toks.push(Tok::Word(word));
        } else {
            if !c.is_whitespace() {
                toks.push(Tok::Sep(c));
            }
            chars.next();
        }
        if toks.len() > 120 {
            break;
        }
    }
    toks
}

fn parse_human(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let toks = lex(text);
    if let Some(d) = relative(&toks, now) {
        return Some(d);
    }
    let date = find_date(&toks, now)?;
    let (time, offset) = find_time_and_zone(&toks, date.1);
    local(date.0.and_time(time.unwrap_or(NaiveTime::MIN)), offset.unwrap_or_else(vietnam))
}

fn word_is(tok: Option<&Tok>, words: &[&str]) -> bool {
    matches!(tok, Some(Tok::Word(w)) if words.contains(&w.as_str()))
}

fn relative(toks: &[Tok], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    for (i, tok) in toks.iter().enumerate() {
        match tok {
            // hôm qua / hôm nay, with a time of day when one is given (`Hôm qua lúc 10:30`).
            Tok::Word(w) if w == "hom" && word_is(toks.get(i + 1), &["qua", "nay"]) => {
                let days = if word_is(toks.get(i + 1), &["qua"]) { 1 } else { 0 };
                return Some(day_relative(toks, now, days));
            }
            Tok::Word(w) if w == "yesterday" => return Some(day_relative(toks, now, 1)),
            Tok::Word(w) if w == "today" => return Some(day_relative(toks, now, 0)),
            // vừa xong, vừa mới, just now
            Tok::Word(w) if w == "vua" && word_is(toks.get(i + 1), &["xong", "moi"]) => return Some(now),
            Tok::Word(w) if w == "just" && word_is(toks.get(i + 1), &["now"]) => return Some(now),
            Tok::Num(n, _) => {
                let unit = match toks.get(i + 1) {
                    Some(Tok::Word(u)) => u.as_str(),
                    _ => continue,
                };
                let ago = word_is(toks.get(i + 2), &["truoc", "ago"]);
                if !ago {
                    continue;
                }
                let n = i64::from(*n);
                let delta = match unit {
                    "giay" | "second" | "seconds" | "sec" | "secs" => Duration::seconds(n),
                    "phut" | "minute" | "minutes" | "min" | "mins" => Duration::minutes(n),
                    "gio" | "tieng" | "hour" | "hours" | "h" => Duration::hours(n),
                    "ngay" | "day" | "days" => Duration::days(n),
                    "tuan" | "week" | "weeks" => Duration::weeks(n),
                    _ => continue,
                };
                return now.checked_sub_signed(delta);
            }
            _ => {}
        }
    }
    None
}

/// `days` before `now`, at the time of day the tokens give (Vietnam time), or at `now`'s time.
fn day_relative(toks: &[Tok], now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let day = now - Duration::days(days);
    let (time, _) = find_time_and_zone(toks, 0);
    let at = time.and_then(|t| local(day.with_timezone(&vietnam()).date_naive().and_time(t), vietnam()));
    at.unwrap_or(day)
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month_name(tok: Option<&Tok>) -> Option<u32> {
    let Some(Tok::Word(w)) = tok else { return None };
    if w.len() < 3 {
        return None;
    }
    let prefix = w.get(..3)?;
    MONTHS.iter().position(|m| *m == prefix).and_then(|p| u32::try_from(p + 1).ok())
}

fn year_of(value: u32, len: usize) -> Option<i32> {
    let year = match len {
        4 => i32::try_from(value).ok()?,
        2 => 2000 + i32::try_from(value).ok()?,
        _ => return None,
    };
    (1970..=2100).contains(&year).then_some(year)
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The first date in the token stream and the index just past it.
fn find_date(toks: &[Tok], now: DateTime<Utc>) -> Option<(NaiveDate, usize)> {
    let num = |i: usize| match toks.get(i) {
        Some(Tok::Num(v, l)) => Some((*v, *l)),
        _ => None,
    };
    let sep = |i: usize| matches!(toks.get(i), Some(Tok::Sep('/' | '-' | '.')));
    for i in 0..toks.len() {
        let Some((a, alen)) = num(i) else { continue };
        // ngày 24 tháng 12 năm 2021 (words may be missing: "24 tháng 12, 2021")
        if word_is(toks.get(i + 1), &["thang"])
            && let Some((m, _)) = num(i + 2)
        {
            let year = (i + 3..(i + 6).min(toks.len())).find_map(|j| num(j).and_then(|(v, l)| year_of(v, l)));
            let year = year.unwrap_or_else(|| current_year(now));
            if let Some(d) = ymd(year, m, a) {
                return Some((d, i + 3));
            }
        }
        // 2021-12-24 or 2021/12/24
        if alen == 4
            && sep(i + 1)
            && sep(i + 3)
            && let (Some((m, _)), Some((d, _))) = (num(i + 2), num(i + 4))
            && let Some(date) = year_of(a, 4).and_then(|y| ymd(y, m, d))
        {
            return Some((date, i + 5));
        }
        // 24/12/2021, 24-12-21, 24.12.2021, and 24/12 without a year
        if alen <= 2
            && sep(i + 1)
            && let Some((m, mlen)) = num(i + 2)
            && mlen <= 2
        {
            if sep(i + 3) {
                if let Some((y, ylen)) = num(i + 4)
                    && let Some(date) = year_of(y, ylen).and_then(|y| ymd(y, m, a))
                {
                    return Some((date, i + 5));
                }
            } else if !matches!(toks.get(i + 1), Some(Tok::Sep('.')))
                && let Some(date) = ymd(current_year(now), m, a)
            {
                let date = if date > now.date_naive() + Duration::days(1) {
                    ymd(current_year(now) - 1, m, a).unwrap_or(date)
                } else {
                    date
                };
                return Some((date, i + 3));
            }
        }
        // 24 Dec 2021
        if let Some(m) = month_name(toks.get(i + 1))
            && let Some((y, ylen)) = num(i + 2)
            && let Some(date) = year_of(y, ylen).and_then(|y| ymd(y, m, a))
        {
            return Some((date, i + 3));
        }
    }
    // Dec 24, 2021
    for i in 0..toks.len() {
        if let Some(m) = month_name(toks.get(i))
            && let (Some((d, _)), Some(y)) =
                (num(i + 1), (i + 2..(i + 4).min(toks.len())).find_map(|j| num(j).and_then(|(v, l)| year_of(v, l))))
            && let Some(date) = ymd(y, m, d)
        {
            return Some((date, i + 3));
        }
    }
    None
}

fn current_year(now: DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    now.with_timezone(&vietnam()).year()
}

/// A time of day (`10:30`, `10:30:15`, `10h30`, `10 giờ 30`) anywhere in the tokens, and a zone
/// (`GMT+7`, `UTC+07:00`, `+0700`) after it.
fn find_time_and_zone(toks: &[Tok], _date_end: usize) -> (Option<NaiveTime>, Option<FixedOffset>) {
    let mut time = None;
    let mut zone = None;
    let mut i = 0;
    while i < toks.len() {
        if time.is_none()
            && let Some(Tok::Num(h, hlen)) = toks.get(i)
        {
            let joined = matches!(toks.get(i + 1), Some(Tok::Sep(':'))) || word_is(toks.get(i + 1), &["h", "gio"]);
            if *hlen <= 2
                && joined
                && let Some(Tok::Num(m, 2)) = toks.get(i + 2)
            {
                let seconds = match (toks.get(i + 3), toks.get(i + 4)) {
                    (Some(Tok::Sep(':')), Some(Tok::Num(s, 2))) => *s,
                    _ => 0,
                };
                let mut hour = *h;
                let after = if seconds > 0 || matches!(toks.get(i + 3), Some(Tok::Sep(':'))) { i + 5 } else { i + 3 };
                if word_is(toks.get(after), &["pm", "chieu", "toi", "ch"]) && hour < 12 {
                    hour += 12;
                } else if word_is(toks.get(after), &["am", "sa", "sang"]) && hour == 12 {
                    hour = 0;
                }
                if let Some(t) = NaiveTime::from_hms_opt(hour, *m, seconds) {
                    time = Some(t);
                    i += 3;
                    continue;
                }
            }
        }
        if word_is(toks.get(i), &["gmt", "utc"]) {
            zone = zone_after(toks, i + 1).or(Some(FixedOffset::east_opt(0).unwrap_or_else(vietnam)));
        } else if time.is_some()
            && zone.is_none()
            && matches!(toks.get(i), Some(Tok::Sep('+' | '-')))
            && let Some(Tok::Num(_, 4)) = toks.get(i + 1)
        {
            zone = zone_after(toks, i);
        }
        i += 1;
    }
    (time, zone)
}

fn zone_after(toks: &[Tok], i: usize) -> Option<FixedOffset> {
    let sign = match toks.get(i) {
        Some(Tok::Sep('+')) => 1,
        Some(Tok::Sep('-')) => -1,
        _ => return None,
    };
    let (hours, minutes) = match (toks.get(i + 1), toks.get(i + 2), toks.get(i + 3)) {
        (Some(Tok::Num(v, 4)), _, _) => (v / 100, v % 100),
        (Some(Tok::Num(h, _)), Some(Tok::Sep(':')), Some(Tok::Num(m, 2))) => (*h, *m),
        (Some(Tok::Num(h, _)), _, _) => (*h, 0),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    let secs = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    FixedOffset::east_opt(sign * secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> String {
        let now = DateTime::parse_from_rfc3339("2021-12-26T12:00:00+07:00").map(|d| d.with_timezone(&Utc));
        let now = now.unwrap_or_else(|_| unreachable!());
        parse_date_at(s, now).map(|d| d.with_timezone(&vietnam()).to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn vietnamese_forms() {
        let want = "2021-12-24T10:30:00+07:00";
        assert_eq!(at("Thứ sáu, 24/12/2021, 10:30 (GMT+7)"), want);
        assert_eq!(at("24/12/2021 - 10:30"), want);
        assert_eq!(at("10:30 24/12/2021"), want);
        assert_eq!(at("24-12-2021 10:30"), want);
        assert_eq!(at("Cập nhật: 24/12/2021 10:30"), want);
        assert_eq!(at("24/12/2021 10h30"), want);
        assert_eq!(at("Ngày 24 tháng 12 năm 2021"), "2021-12-24T00:00:00+07:00");
        assert_eq!(at("ngày 24/12"), "2021-12-24T00:00:00+07:00");
    }

    #[test]
    fn machine_forms() {
        assert_eq!(at("2021-12-24T03:30:00Z"), "2021-12-24T10:30:00+07:00");
        assert_eq!(at("2021-12-24T10:30:00+07:00"), "2021-12-24T10:30:00+07:00");
        assert_eq!(at("Fri, 24 Dec 2021 03:30:00 GMT"), "2021-12-24T10:30:00+07:00");
        assert_eq!(at("Fri, 24 Dec 2021 10:30:00 +0700"), "2021-12-24T10:30:00+07:00");
        assert_eq!(at("2021-12-24 10:30:00"), "2021-12-24T10:30:00+07:00");
        assert_eq!(at("December 24, 2021"), "2021-12-24T00:00:00+07:00");
    }

    #[test]
    fn relative_forms() {
        assert_eq!(at("2 giờ trước"), "2021-12-26T10:00:00+07:00");
        assert_eq!(at("5 phút trước"), "2021-12-26T11:55:00+07:00");
        assert_eq!(at("hôm qua"), "2021-12-25T12:00:00+07:00");
        assert_eq!(at("3 days ago"), "2021-12-23T12:00:00+07:00");
    }

    #[test]
    fn rejects_nonsense() {
        assert_eq!(at(""), "");
        assert_eq!(at("32/13/2021"), "");
        assert_eq!(at("không có ngày"), "");
        assert_eq!(at("version 1.2.3"), "");
    }
}
