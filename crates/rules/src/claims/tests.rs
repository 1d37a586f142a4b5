use std::path::Path;

use chrono::TimeZone;

use super::*;

const FILE: &str = r#"
[[claim]]
id = "gia-xang-50k"
title = "Giá xăng tăng lên 50.000 đồng"
text = "Từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng lên 50.000 đồng một lít, người dân nên đổ đầy bình ngay hôm nay"
verdict = "false"
added = 2025-03-01
reference = "https://example.gov.vn/bac-bo-tin-tang-gia-xang"
severity = "high"
route = "thi-truong"
tags = ["prices"]
examples.match = ["nghe noi tu 0 gio ngay mai gia xang ron 95 se tang len 50.000 dong mot lit, ae do day binh di"]
examples.no_match = ["Giá xăng RON 95 giảm 300 đồng mỗi lít từ 15 giờ chiều nay."]

[[claim]]
id = "truong-nghi-hoc"
text = "Sở Giáo dục thông báo toàn bộ học sinh thành phố được nghỉ học từ thứ hai tuần sau vì dịch cúm lạ lây lan"
verdict = "misleading"
added = "2025-03-10"
max_age_days = 30
"#;

fn claims() -> Vec<Claim> {
    parse_claims(Path::new("claims.toml"), FILE, &ClaimOptions::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn known() -> KnownClaims {
    KnownClaims::new(claims(), ClaimOptions::default())
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 3, 0, 0).single().unwrap_or_else(|| unreachable!("valid date"))
}

fn matched(k: &KnownClaims, text: &str, at: DateTime<Utc>) -> Vec<(String, f64)> {
    k.matches_text("", text, at)
        .into_iter()
        .map(|f| {
            let m = f.claim.unwrap_or_else(|| panic!("claim flags carry their claim"));
            (m.id, m.similarity)
        })
        .collect()
}

#[test]
fn an_unaccented_paraphrase_matches_the_accented_claim() {
    let k = known();
    let post = "Tin nong: tu 0 gio ngay mai gia xang RON95 se tang len 50.000 dong mot lit, nguoi dan nen do day binh \
                ngay hom nay keo lo!!!";
    let got = matched(&k, post, day(2025, 3, 2));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "gia-xang-50k");
    assert!(got[0].1 >= 0.6 && got[0].1 <= 1.0, "{got:?}");
}

#[test]
fn old_and_new_tone_placement_and_case_match_alike() {
    let k = KnownClaims::new(
        vec![Claim {
            text: "Đập thuỷ điện Hoà Bình bị vỡ, nước lũ đang tràn về Hà Nội".into(), ..claims()[0].clone()
        }],
        ClaimOptions::default(),
    );
    let at = day(2025, 3, 2);
    let new_style = "ĐẬP THỦY ĐIỆN HÒA BÌNH BỊ VỠ, NƯỚC LŨ ĐANG TRÀN VỀ HÀ NỘI";
    assert_eq!(matched(&k, new_style, at), [("gia-xang-50k".to_string(), 1.0)]);
}

#[test]
fn unrelated_text_with_common_words_does_not_match() {
    let k = known();
    let at = day(2025, 3, 2);
    // Shares "giá xăng", "người dân", "ngày mai", "một lít", stopwords — but not the rumour.
    let news = "Người dân ngày mai có thể theo dõi giá xăng trên trang của bộ; một lít dầu diesel giảm nhẹ, \
                và những mặt hàng khác thì không có thay đổi gì trong ngày hôm nay.";
    assert!(matched(&k, news, at).is_empty(), "{:?}", matched(&k, news, at));
    let boilerplate = "Theo thông báo từ 0 giờ ngày mai, toàn bộ các đơn vị sẽ có lịch làm việc mới.";
    assert!(matched(&k, boilerplate, at).is_empty());
}

#[test]
fn containment_is_the_share_of_the_claims_shingles_in_the_item() {
    // Eight content syllables: six 3-syllable shingles, none made only of stopwords.
    let claim = Claim { text: "bão số chín đổ bộ Quảng Ngãi sáng".into(), ..claims()[0].clone() };
    let k = KnownClaims::new(vec![claim], ClaimOptions::default());
    let at = day(2025, 3, 2);
    // The item holds the first six syllables: four of the six shingles.
    let got = matched(&k, "Tin mới: bão số chín đổ bộ Quảng, chiều nay", at);
    assert_eq!(got, [("gia-xang-50k".to_string(), 0.667)]);
    let flags = k.matches_text("", "Tin mới: bão số chín đổ bộ Quảng, chiều nay", at);
    assert_eq!(flags[0].claim.as_ref().map(|c| c.shared), Some(4));
    // Three of six is exactly the threshold; two of six is under it.
    assert_eq!(matched(&k, "bão số chín đổ bộ", at).len(), 1);
    assert!(matched(&k, "bão số chín đổ", at).is_empty());
}

#[test]
fn a_high_share_of_a_tiny_claim_needs_the_minimum_of_shared_shingles() {
    let options = ClaimOptions { min_shared: 3, ..ClaimOptions::default() };
    let tiny = Claim { text: "cá chết trắng sông Hàn".into(), ..claims()[0].clone() };
    let k = KnownClaims::new(vec![tiny], options);
    let at = day(2025, 3, 2);
    // Two of the claim's three shingles: 0.67 ≥ 0.5, but fewer than three shared.
    assert!(matched(&k, "có cá chết trắng sông", at).is_empty());
    assert_eq!(matched(&k, "hôm nay cá chết trắng sông Hàn", at).len(), 1);
}

#[test]
fn claims_are_matched_only_within_their_time_window() {
    let k = known();
    let post = "Từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng lên 50.000 đồng một lít, người dân nên đổ đầy bình ngay";
    // Added 2025-03-01 with the default window of 180 days either side.
    assert_eq!(matched(&k, post, day(2025, 8, 20)).len(), 1, "172 days after");
    assert!(matched(&k, post, day(2025, 9, 1)).is_empty(), "184 days after");
    assert_eq!(matched(&k, post, day(2025, 2, 1)).len(), 1, "a month before it was recorded");
    assert!(matched(&k, post, day(2024, 8, 1)).is_empty(), "seven months before");
    // The school claim has its own 30-day window.
    let school = "So Giao duc thong bao toan bo hoc sinh thanh pho duoc nghi hoc tu thu hai tuan sau vi dich cum la";
    assert_eq!(matched(&k, school, day(2025, 4, 1)).len(), 1);
    assert!(matched(&k, school, day(2025, 4, 20)).is_empty());
    // The window is counted in Vietnamese days: 23:30 UTC on 8 Apr is 9 Apr in Hà Nội, day 30.
    let late = Utc.with_ymd_and_hms(2025, 4, 8, 23, 30, 0).single().unwrap_or_else(|| unreachable!());
    assert_eq!(matched(&k, school, late).len(), 1);
    let later = Utc.with_ymd_and_hms(2025, 4, 9, 17, 30, 0).single().unwrap_or_else(|| unreachable!());
    assert!(matched(&k, school, later).is_empty());
}

#[test]
fn a_flag_carries_the_claim_its_metadata_and_spans_into_the_original_text() {
    let k = known();
    let title = "CẢNH BÁO: GIÁ XĂNG RON 95 SẼ TĂNG LÊN 50.000 ĐỒNG";
    let text = "Nhiều nhóm chia sẻ: từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng lên 50.000 đồng một lít. \
                Ai cũng bảo người dân nên đổ đầy bình ngay hôm nay.";
    let flags = k.matches_text(title, text, day(2025, 3, 2));
    assert_eq!(flags.len(), 1);
    let f = &flags[0];
    assert_eq!(f.rule, "claim:gia-xang-50k");
    assert_eq!(f.severity, Severity::High);
    assert!(f.alert, "a false claim raises an alert");
    assert_eq!(f.route.as_deref(), Some("thi-truong"));
    assert_eq!(f.tags, ["prices", "known-claim"]);
    let m = f.claim.as_ref().unwrap_or_else(|| unreachable!());
    assert_eq!(
        (m.verdict.as_str(), m.reference.as_deref()),
        ("false", Some("https://example.gov.vn/bac-bo-tin-tang-gia-xang"))
    );
    let field = |s: &duluan_model::Span| if s.field == duluan_model::Field::Title { title } else { text };
    let shown: Vec<&str> = f.spans.iter().map(|s| &field(s)[s.start..s.end]).collect();
    assert_eq!(
        shown,
        [
            "GIÁ XĂNG RON 95 SẼ TĂNG LÊN 50.000 ĐỒNG",
            "từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng lên 50.000 đồng một lít",
            "người dân nên đổ đầy bình ngay hôm nay",
        ]
    );
    // Each span's term is the part of the claim, as written there, that it repeats.
    assert_eq!(f.spans[0].term, "giá xăng RON 95 sẽ tăng lên 50.000 đồng");
    assert_eq!(f.spans[2].term, "người dân nên đổ đầy bình ngay hôm nay");
}

#[test]
fn verdicts_decide_the_default_action() {
    let k = known();
    let school = "Sở Giáo dục thông báo toàn bộ học sinh thành phố được nghỉ học từ thứ hai tuần sau vì dịch cúm lạ";
    let flags = k.matches_text("", school, day(2025, 3, 12));
    assert_eq!(flags.len(), 1);
    assert!(flags[0].alert, "misleading alerts");
    assert_eq!(flags[0].severity, Severity::High, "the default severity");
    let confirmed =
        Claim { verdict: ClaimVerdict::True, action: ClaimVerdict::True.default_action(), ..claims()[1].clone() };
    let k = KnownClaims::new(vec![confirmed], ClaimOptions::default());
    let flags = k.matches_text("", school, day(2025, 3, 12));
    assert!(!flags[0].alert, "a true claim is followed, not alerted");
}

#[test]
fn stored_claims_join_the_file_and_can_be_replaced() {
    let k = known();
    assert_eq!(k.len(), 2);
    let at = day(2025, 3, 12);
    let rumour = "Bệnh viện Chợ Rẫy có 5 trẻ tử vong sau khi tiêm vắc xin sởi đợt này, phụ huynh đừng cho con đi tiêm";
    assert!(k.matches_text("", rumour, at).is_empty());
    let stored = Claim {
        id: "story-0011223344556677".into(),
        text: "Bệnh viện Chợ Rẫy có 5 trẻ tử vong sau khi tiêm vắc xin sởi".into(),
        story: Some("0011223344556677".into()),
        added: NaiveDate::from_ymd_opt(2025, 3, 11).unwrap_or_default(),
        ..claims()[0].clone()
    };
    // A stored claim may not take a file claim's id.
    let clash = Claim { id: "gia-xang-50k".into(), ..stored.clone() };
    assert_eq!(k.set_stored(vec![stored, clash]), 3);
    let flags = k.matches_text("", rumour, at);
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].rule, "claim:story-0011223344556677");
    assert_eq!(flags[0].claim.as_ref().and_then(|c| c.story.as_deref()), Some("0011223344556677"));
    assert_eq!(k.stored_claims().len(), 2);
    assert!(k.get("story-0011223344556677").is_some());
    assert_eq!(k.set_stored(Vec::new()), 2);
    assert!(k.matches_text("", rumour, at).is_empty());
}

#[test]
fn disabled_claims_are_not_matched() {
    let off = Claim { enabled: false, ..claims()[0].clone() };
    let k = KnownClaims::new(vec![off], ClaimOptions::default());
    assert!(k.is_empty());
    let text = claims()[0].text.clone();
    assert!(k.matches_text("", &text, day(2025, 3, 2)).is_empty());
}

#[test]
fn long_claims_are_sampled_in_the_index_and_verified_exactly() {
    // A claim far longer than the index sample: 120 distinct syllable pairs.
    let words: Vec<String> = (0..130).map(|i| format!("từ{i}")).collect();
    let long = Claim { text: words.join(" "), ..claims()[0].clone() };
    let k = KnownClaims::new(vec![long], ClaimOptions::default());
    let at = day(2025, 3, 2);
    let most = words[..100].join(" ");
    let got = matched(&k, &most, at);
    assert_eq!(got.len(), 1);
    assert!((got[0].1 - 98.0 / 128.0).abs() < 0.001, "{got:?}");
    assert!(matched(&k, &words[..40].join(" "), at).is_empty());
}

#[test]
fn examples_are_checked_and_near_duplicate_claims_found() {
    let k = known();
    let (run, failures) = k.check_examples();
    assert_eq!((run, failures.len()), (2, 0), "{failures:?}");
    let mut wrong = claims();
    wrong[0].examples.must_match = vec!["Giá vàng hôm nay tăng mạnh".into()];
    let (_, failures) = KnownClaims::new(wrong.clone(), ClaimOptions::default()).check_examples();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].to_string().contains("claims.toml:3: rule `claim:gia-xang-50k` does not match"),
        "{}",
        failures[0]
    );
    wrong.push(Claim { id: "gia-xang-50k-lan-2".into(), ..claims()[0].clone() });
    let twins = KnownClaims::new(wrong, ClaimOptions::default()).near_duplicates();
    assert!(twins.contains(&("gia-xang-50k".into(), "gia-xang-50k-lan-2".into(), 1.0)), "{twins:?}");
}

fn errors(text: &str) -> Vec<String> {
    match parse_claims(Path::new("claims.toml"), text, &ClaimOptions::default()) {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

const GOOD_TEXT: &str = "text = \"Giá xăng tăng lên 50.000 đồng một lít từ ngày mai\"\n";

#[test]
fn bad_files_are_rejected_with_their_position() {
    let head = "[[claim]]\nid = \"a\"\n";
    assert_eq!(errors("[[claim]]\nid = 5\n")[0], "claims.toml:2:6: invalid type: integer `5`, expected a string");
    let e = errors(&format!("{head}{GOOD_TEXT}verdict = \"fake\"\nadded = 2025-01-01\n"));
    assert!(e[0].starts_with("claims.toml:4:11: unknown variant `fake`"), "{e:?}");
    let e = errors(&format!("{head}{GOOD_TEXT}verdict = \"false\"\nadded = 2025-01-01\nsevere = \"high\"\n"));
    assert!(e[0].starts_with("claims.toml:6:1: unknown field `severe`"), "{e:?}");
    let e = errors(&format!("{head}{GOOD_TEXT}verdict = \"false\"\nadded = \"hôm qua\"\n"));
    assert_eq!(e, ["claims.toml:5:9: claim `a`: `added` must be a date such as 2025-03-14"]);
    let e =
        errors(&format!("{head}{GOOD_TEXT}verdict = \"false\"\nadded = 2025-01-01\nreference = \"javascript:x\"\n"));
    assert_eq!(e, ["claims.toml:6:13: claim `a`: `reference` must be an http(s) URL"]);
    let e = errors("[[claim]]\nid = \"có dấu\"\ntext = \"x\"\nverdict = \"false\"\nadded = 2025-01-01\n");
    assert!(e[0].starts_with("claims.toml:2:6: claim id `có dấu` must be"), "{e:?}");
    let e = errors("[[claim]]\nid = \"a\"\ntext = \"tin giả\"\nverdict = \"false\"\nadded = 2025-01-01\n");
    assert!(e[0].starts_with("claims.toml:3:8: claim `a`: text has 0 distinct 3-syllable phrases"), "{e:?}");
    let twice = format!("{head}{GOOD_TEXT}verdict = \"false\"\nadded = 2025-01-01\n");
    let e = errors(&format!("{twice}{twice}"));
    assert_eq!(e, ["claims.toml:7:6: claim `a` is defined twice"]);
}

#[test]
fn limits_are_enforced_and_named() {
    let long = "tin don ".repeat(MAX_CLAIM_BYTES / 8 + 1);
    let e = errors(&format!("[[claim]]\nid = \"a\"\ntext = \"{long}\"\nverdict = \"false\"\nadded = 2025-01-01\n"));
    assert!(e[0].starts_with("claims.toml:3:8: claim `a`: text is 8200 bytes; at most 8192 are allowed"), "{e:?}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = std::fs::File::create(dir.path().join(CLAIMS_FILE)).unwrap_or_else(|e| panic!("{e}"));
    file.set_len(MAX_CLAIMS_FILE_BYTES as u64 + 1).unwrap_or_else(|e| panic!("{e}"));
    let e = read_claims(dir.path(), &ClaimOptions::default()).expect_err("too large");
    assert!(e[0].to_string().contains("claims file larger than 67108864 bytes"), "{}", e[0]);
    assert!(read_claims(&dir.path().join("none"), &ClaimOptions::default()).is_ok_and(|c| c.is_empty()));
    // The number of claims is capped too (a file of a hundred thousand and one would do it).
    let many: String = (0..3)
        .map(|i| format!("[[claim]]\nid = \"c{i}\"\n{GOOD_TEXT}verdict = \"false\"\nadded = 2025-01-01\n"))
        .collect();
    let e = parse_claims_limited(Path::new("claims.toml"), &many, &ClaimOptions::default(), 2).expect_err("too many");
    assert_eq!(e[0].to_string(), "claims.toml: 3 claims; at most 2 are allowed");
}

#[test]
fn options_out_of_range_are_brought_into_range() {
    let wild = ClaimOptions { shingle: 0, threshold: f32::NAN, min_shared: 0, max_age_days: 0 };
    let k = KnownClaims::new(claims(), wild);
    let o = k.options();
    assert_eq!((o.shingle, o.threshold, o.min_shared), (1, 0.5, 1));
    let text = claims()[0].text.clone();
    assert_eq!(k.matches_text("", &text, day(2025, 3, 1)).len(), 1, "same day, zero-day window");
    assert!(k.matches_text("", &text, day(2025, 3, 3)).is_empty());
}

#[test]
fn the_shipped_claims_load_pass_their_examples_and_do_not_repeat_each_other() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"));
    let claims = read_claims(dir, &ClaimOptions::default()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(claims.len() >= 10, "{}", claims.len());
    let k = KnownClaims::new(claims, ClaimOptions::default());
    let (run, failures) = k.check_examples();
    assert!(run >= 15, "only {run} examples");
    let messages: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(messages.is_empty(), "{}", messages.join("\n"));
    assert!(k.near_duplicates().is_empty(), "{:?}", k.near_duplicates());
    // The rule packs do not read the claims file as a pack.
    let engine = crate::Engine::load(dir).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(engine.claims.len(), k.len());
}

#[test]
fn a_lead_in_many_claims_share_neither_matches_them_all_nor_hides_a_partial_repeat() {
    let lead_in = "Ủy ban nhân dân thành phố Hồ Chí Minh vừa phát đi thông báo khẩn";
    let claims: Vec<Claim> = (0..100)
        .map(|i| Claim {
            id: format!("c{i}"),
            text: format!(
                "{lead_in}: kho số {i} ở khu công nghiệp {i} bị cháy lớn, khói độc lan ra {i} phường xung quanh"
            ),
            ..claims()[0].clone()
        })
        .collect();
    let k = KnownClaims::new(claims, ClaimOptions::default());
    let at = day(2025, 3, 2);
    assert!(matched(&k, &format!("{lead_in} về lịch cắt điện tuần tới"), at).is_empty());
    let full = format!("{lead_in}: kho số 7 ở khu công nghiệp 7 bị cháy lớn, khói độc lan ra 7 phường xung quanh");
    assert_eq!(matched(&k, &full, at), [("c7".to_string(), 1.0)]);
    // The lead-in and the start of the rest: the shared lead-in counts towards the similarity.
    let partial = format!("{lead_in}: kho số 7 ở khu công nghiệp 7 bị cháy");
    let got = matched(&k, &partial, at);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "c7");
    assert!(got[0].1 > 0.6 && got[0].1 < 1.0, "{got:?}");
}

#[test]
fn a_share_equal_to_the_threshold_matches() {
    // Five shingles; three found is exactly 0.6.
    let options = ClaimOptions { threshold: 0.6, ..ClaimOptions::default() };
    let claim = Claim { text: "bão số chín đổ bộ Quảng Ngãi".into(), ..claims()[0].clone() };
    let k = KnownClaims::new(vec![claim], options);
    assert_eq!(matched(&k, "bão số chín đổ bộ", day(2025, 3, 2)), [("gia-xang-50k".to_string(), 0.6)]);
}

#[test]
fn a_rumour_held_by_many_claims_still_matches_within_its_window() {
    let rumour = "Bệnh viện Chợ Rẫy có năm trẻ tử vong sau khi tiêm vắc xin sởi đợt này";
    // The same story confirmed a hundred times, one day apart, each claim matched for 30 days.
    let copies: Vec<Claim> = (0..100)
        .map(|i| Claim {
            id: format!("story-{i:03}"),
            text: rumour.into(),
            added: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default() + chrono::Days::new(i),
            max_age_days: Some(30),
            ..claims()[0].clone()
        })
        .collect();
    let k = KnownClaims::new(copies, ClaimOptions::default());
    // Every shingle is shared by all of them: the index keeps it for the 64 whose window ends
    // last (`story-036` on), so the rumour is found wherever one of those is in its window.
    let late = matched(&k, rumour, day(2025, 4, 30));
    assert_eq!(late.len(), 10, "{late:?}");
    assert!(late.iter().all(|(id, similarity)| id.as_str() >= "story-089" && *similarity == 1.0), "{late:?}");
    let early = matched(&k, rumour, day(2025, 1, 20));
    assert_eq!(early.first().map(|(id, _)| id.as_str()), Some("story-036"), "{early:?}");
    assert!(matched(&k, rumour, day(2025, 6, 30)).is_empty(), "out of every window");
    // Only the oldest copies in their window: those were left out.
    assert!(matched(&k, rumour, day(2025, 1, 3)).is_empty());
}

#[test]
fn an_item_repeating_many_claims_gets_the_closest_ten() {
    let claims: Vec<Claim> = (0..300)
        .map(|i| Claim {
            id: format!("c{i:03}"),
            text: (0..20).map(|j| format!("w{i}x{j}")).collect::<Vec<_>>().join(" "),
            ..claims()[0].clone()
        })
        .collect();
    // Each claim whole, except the first 290, of which the item holds three quarters.
    let digest: Vec<String> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| if i < 290 { c.text.split(' ').take(15).collect::<Vec<_>>().join(" ") } else { c.text.clone() })
        .collect();
    let k = KnownClaims::new(claims, ClaimOptions::default());
    let got = matched(&k, &digest.join(". "), day(2025, 3, 2));
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["c290", "c291", "c292", "c293", "c294", "c295", "c296", "c297", "c298", "c299"]);
    let flags = k.matches_text("", &digest.join(". "), day(2025, 3, 2));
    assert!(flags.iter().all(|f| !f.spans.is_empty()), "the flags kept have their spans");
}

/// Two passages of a claim pasted side by side, in another order: each span's term is its own
/// passage, not the claim from the one to the other with the words between.
#[test]
fn passages_pasted_side_by_side_are_spans_of_their_own() {
    let k = known();
    let text = "người dân nên đổ đầy bình ngay hôm nay. từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng lên";
    let flags = k.matches_text("", text, day(2025, 3, 2));
    assert_eq!(flags.len(), 1);
    let terms: Vec<&str> = flags[0].spans.iter().map(|s| s.term.as_str()).collect();
    assert_eq!(terms, ["người dân nên đổ đầy bình ngay hôm nay", "Từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng"]);
    let shown: Vec<&str> = flags[0].spans.iter().map(|s| &text[s.start..s.end]).collect();
    assert_eq!(shown, ["người dân nên đổ đầy bình ngay hôm nay", "từ 0 giờ ngày mai giá xăng RON 95 sẽ tăng"]);
}

/// A claim made from a verdict is its story's title and text on two lines; a copy of the story
/// holds them as two fields, and is the claim whole.
#[test]
fn a_copy_of_a_title_and_text_claim_is_it_whole() {
    let file = "[[claim]]\nid = \"story-1\"\ntext = \"Ngân hàng ABC sắp phá sản\\nMọi người rút hết tiền gửi ngay trong tuần\"\n\
                verdict = \"false\"\nadded = 2025-03-01\n";
    let claims =
        parse_claims(Path::new("claims.toml"), file, &ClaimOptions::default()).unwrap_or_else(|e| panic!("{e:?}"));
    let k = KnownClaims::new(claims, ClaimOptions::default());
    let flags =
        k.matches_text("Ngân hàng ABC sắp phá sản", "Mọi người rút hết tiền gửi ngay trong tuần", day(2025, 3, 2));
    let similarity = flags.first().and_then(|f| f.claim.as_ref()).map(|m| m.similarity);
    assert_eq!(similarity, Some(1.0));
}
