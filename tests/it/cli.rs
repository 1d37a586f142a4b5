//! The command line: help, usage errors, extract, ingest, text, rules, sentiment.

use crate::support::{Duluan, fixture, stderr, stdout};

const COMMANDS: &[&str] = &[
    "serve",
    "demo",
    "crawl",
    "ingest",
    "extract",
    "text",
    "rules",
    "sentiment",
    "search",
    "sources",
    "user",
    "reindex",
];

#[test]
fn help_is_complete_and_usage_errors_exit_2() {
    let d = Duluan::new();
    let top = d.run(&["--help"], None);
    assert!(top.status.success());
    let text = stdout(&top);
    for c in COMMANDS {
        assert!(text.contains(c), "`duluan --help` lacks {c}:\n{text}");
    }
    assert!(text.contains("--config") && text.contains("--data-dir"));
    for c in COMMANDS {
        let o = d.run(&[c, "--help"], None);
        assert!(o.status.success(), "{c} --help failed");
        let help = stdout(&o);
        assert!(help.contains("Usage:") && help.len() > 200, "{c} --help too thin:\n{help}");
    }
    for sub in [["text", "normalize"], ["rules", "check"], ["user", "add"]] {
        assert!(d.run(&[sub[0], sub[1], "--help"], None).status.success());
    }
    let bad = d.run(&["--bogus"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("Usage"));
    let bad = d.run(&["search", "--nope", "x"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(d.run(&["frobnicate"], None).status.code(), Some(2));
}

#[test]
fn extract_prints_json_and_text_and_names_bad_files() {
    let d = Duluan::new();
    let page = fixture("pages/vi-article.html");
    let o = d.run(&["extract", page.to_str().unwrap(), "--url", "https://phoco.example/kinh-te/x.html"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(json["title"], "Tiểu thương găm hàng, giá trứng gà tăng giá sau tin đồn cúm");
    assert_eq!(json["lang"], "vi");
    assert_eq!(json["published_at"], "2026-11-11T23:15:00Z");
    assert_eq!(json["url"], "https://phoco.example/kinh-te/x.html");
    let text = json["text"].as_str().unwrap();
    assert!(text.contains("65.000 đồng một chục"));
    assert!(!text.contains("vo sinh") && !text.contains("QUẢNG CÁO") && !text.contains("Tin liên quan"), "{text}");
    let o = d.run(&["extract", page.to_str().unwrap(), "--format", "text"], None);
    assert!(stdout(&o).starts_with("Tiểu thương găm hàng"));
    let legacy = d.run(&["extract", fixture("pages/windows-1258.html").to_str().unwrap()], None);
    let json: serde_json::Value = serde_json::from_str(stdout(&legacy).trim()).unwrap();
    assert_eq!(json["encoding"], "windows-1258");
    assert!(json["text"].as_str().unwrap().starts_with("Cơn mưa lớn kéo dài"));
    let missing = d.run(&["extract", "no-such-file.html"], None);
    assert_eq!(missing.status.code(), Some(1));
    let err = stderr(&missing);
    assert!(err.contains("no-such-file.html") && err.lines().count() == 1, "{err}");
    let junk = d.dir.path().join("junk.html");
    std::fs::write(&junk, (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>())
        .unwrap();
    let o = d.run(&["extract", junk.to_str().unwrap()], None);
    assert!(o.status.success());
    assert!(stderr(&o).contains("not an article"));
}

#[test]
fn ingest_keeps_good_inputs_and_names_bad_ones() {
    let d = Duluan::new();
    let junk = d.dir.path().join("junk.html");
    std::fs::write(&junk, [0u8, 159, 146, 150, 0, 0, 0, 1, 2, 3].repeat(500)).unwrap();
    // Saved on Windows (a byte-order mark first), with a line that is not UTF-8.
    let bom = d.dir.path().join("bom.jsonl");
    let record = r#"{"url":"https://phoco.example/bom.html","title":"Ghi chép từ Windows","text":"Điện lực nói rõ lịch cắt điện."}"#;
    std::fs::write(&bom, [&b"\xEF\xBB\xBF"[..], record.as_bytes(), b"\n\xFF\xFE{}\n"].concat()).unwrap();
    // Only a byte-order mark: nothing in it, and nothing wrong.
    let bom_only = d.dir.path().join("bom-only.jsonl");
    std::fs::write(&bom_only, b"\xEF\xBB\xBF").unwrap();
    let args = [
        "ingest".to_string(),
        fixture("ingest/good.jsonl").display().to_string(),
        fixture("ingest/mixed.jsonl").display().to_string(),
        bom.display().to_string(),
        bom_only.display().to_string(),
        fixture("pages/vi-article.html").display().to_string(),
        "missing-file.html".to_string(),
        junk.display().to_string(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = d.run(&args, None);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    for expected in [
        "missing-file.html",
        "mixed.jsonl:2: invalid JSON",
        "mixed.jsonl:3: missing \"url\"",
        "mixed.jsonl:4: cannot read published_at",
        "junk.html",
        "bom.jsonl:2: not UTF-8",
    ] {
        assert!(err.contains(expected), "stderr lacks `{expected}`:\n{err}");
    }
    let out = stdout(&o);
    assert!(out.contains("docs/s") && out.contains("7 new"), "{out}");
    assert!(!err.contains("bom.jsonl:1") && !err.contains("bom-only.jsonl"), "{err}");
    let found = d.run(&["search", "\"hang rong\"", "--format", "json"], None);
    let json: serde_json::Value =
        serde_json::from_str(stdout(&found).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&found)));
    assert_eq!(json["total"], 1);
    assert_eq!(json["hits"][0]["url"], "https://phoco.example/xa-hoi/hang-rong-lan-chiem-via-he.html");
    let flagged = d.run(&["search", "trứng gà", "--format", "json"], None);
    let json: serde_json::Value = serde_json::from_str(stdout(&flagged).trim()).unwrap();
    assert_eq!(json["hits"][0]["rules"][0], "prices.hoarding_gouging");
    // A query may open with `-word`.
    let negated = d.run(&["search", "-xyzzy trứng gà", "--format", "json"], None);
    let json: serde_json::Value =
        serde_json::from_str(stdout(&negated).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&negated)));
    assert_eq!(json["hits"][0]["rules"][0], "prices.hoarding_gouging");
    let again = d.run(&["ingest", fixture("ingest/good.jsonl").to_str().unwrap()], None);
    assert!(stdout(&again).contains("0 new") && stdout(&again).contains("3 unchanged"), "{}", stdout(&again));
}

#[test]
fn rules_match_reads_where_an_item_comes_from() {
    let d = Duluan::new();
    let dir = d.dir.path().join("filtered");
    std::fs::create_dir_all(&dir).unwrap();
    let rule =
        |id: &str, filter: &str| format!("[[rule]]\nid = \"{id}\"\nseverity = \"low\"\nquery = 'mất điện'\n{filter}\n");
    let pack = [
        rule("by_source", "sources = [\"evn\"]"),
        rule("by_tag", "source_tags = [\"dien-luc\"]"),
        rule("by_region", "regions = [\"q1\"]"),
        rule("in_vietnamese", "langs = [\"VI\"]"),
    ];
    std::fs::write(dir.join("p.toml"), pack.concat()).unwrap();
    let items = [
        serde_json::json!({"id": 1, "text": "Mất điện diện rộng", "source": "evn", "source_tags": ["dien-luc"], "region": "q1", "lang": "vi-VN"}),
        serde_json::json!({"id": 2, "title": "Cảnh báo mất điện ở quận 1 sáng mai", "text": ""}),
        serde_json::json!({"id": 3, "text": "Mất điện", "source": "khac", "lang": "en"}),
    ];
    // As a file saved on Windows: a byte-order mark first.
    let input: String = std::iter::once("\u{feff}".to_string()).chain(items.iter().map(|i| format!("{i}\n"))).collect();
    let o = d.run(&["rules", "match", "--rules", dir.to_str().unwrap()], Some(&input));
    assert!(o.status.success(), "{}", stderr(&o));
    let fired: Vec<Vec<String>> = stdout(&o)
        .lines()
        .map(|l| {
            let line: serde_json::Value = serde_json::from_str(l).unwrap();
            line["flags"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
        })
        .collect();
    assert_eq!(fired[0], ["by_source", "by_tag", "by_region", "in_vietnamese"]);
    // No text: the language is read from the title.
    assert_eq!(fired[1], ["in_vietnamese"]);
    assert!(fired[2].is_empty(), "{fired:?}");
}

#[test]
fn ingest_as_a_configured_source_takes_its_tags() {
    let d = Duluan::new();
    // `vnexpress-suc-khoe` of config/sources.toml is tagged `health`.
    let o = d.run(&["ingest", "--source", "vnexpress-suc-khoe", fixture("ingest/good.jsonl").to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let found = d.run(&["search", "tag:health", "--format", "json"], None);
    let json: serde_json::Value =
        serde_json::from_str(stdout(&found).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&found)));
    assert_eq!(json["total"], 3, "{json}");
    assert_eq!(json["hits"][0]["source"], "vnexpress-suc-khoe", "{json}");
}

#[test]
fn text_tools_read_lines_and_write_lines() {
    let d = Duluan::new();
    let o = d.run(&["text", "normalize"], Some("Hoà bình\nTHUỶ LỢI\n"));
    assert_eq!(stdout(&o), "Hòa bình\nTHỦY LỢI\n");
    let o = d.run(&["text", "fold"], Some("Nguyễn Văn Đức\n"));
    assert_eq!(stdout(&o), "Nguyen Van Duc\n");
    let o = d.run(&["text", "lang"], Some("Người dân đổ xô đi mua khẩu trang ở khắp các hiệu thuốc\nThe council approved the new budget for public transport\n"));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(lines, ["vi", "en"]);
    let o = d.run(&["text", "date"], Some("Thứ sáu, 24/12/2021, 10:30 (GMT+7)\nkhông có ngày\n"));
    assert_eq!(stdout(&o), "2021-12-24T10:30:00+07:00\n\n");
    let o = d.run(&["text", "fold"], None);
    assert!(o.status.success() && stdout(&o).is_empty());
}

#[test]
fn rules_check_match_and_sentiment() {
    let d = Duluan::new();
    let ok = d.run(&["rules", "check", "rules"], None);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).starts_with("ok:"));
    let broken = d.dir.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("bad.toml"), "[[rule]]\nid = \"x\"\nseverity = \"high\"\nquery = '(vắc xin'\n").unwrap();
    let o = d.run(&["rules", "check", broken.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.toml:4:"), "{}", stderr(&o));
    std::fs::write(
        broken.join("bad.toml"),
        "[[rule]]\nid = \"fever\"\nseverity = \"low\"\nquery = 'sốt'\nexamples.match = ['bé bị sót']\n",
    )
    .unwrap();
    let o = d.run(&["rules", "check", broken.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("rule `fever` does not match: \"bé bị sót\""), "{}", stderr(&o));
    // A pack emptied, or saved half way, loads (no rules is valid) but is named in a warning.
    std::fs::write(broken.join("bad.toml"), "[[rule]]\nid = \"fever\"\nseverity = \"low\"\nquery = 'sốt'\n").unwrap();
    std::fs::write(broken.join("empty.toml"), "# giá cả\n").unwrap();
    let o = d.run(&["rules", "check", broken.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: ") && stderr(&o).contains("empty.toml: holds no rules"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("bad.toml"), "{}", stderr(&o));

    let text = "Tin đồn: tiêm vắc xin gây vô sinh";
    let input = format!("{}\n", serde_json::json!({"id": 7, "title": "", "text": text}));
    let o = d.run(&["rules", "match"], Some(&input));
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(line["id"], 7);
    let flag = &line["flags"][0];
    assert_eq!(flag["rule"], "health.vaccine_harm_rumor");
    let words: Vec<&str> = flag["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize])
        .collect();
    assert_eq!(words, ["vắc xin", "vô sinh"]);
    // One answer per line, in input order: a broken line gets its error and the rest go on.
    let input = format!(
        "{}\n{{\"id\": 8, \"text\": \"vắc\n{}\n",
        serde_json::json!({"id": 7, "text": text}),
        serde_json::json!({"id": 9, "text": text})
    );
    let o = d.run(&["rules", "match"], Some(&input));
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&o));
    assert_eq!((lines[0]["id"].clone(), lines[2]["id"].clone()), (serde_json::json!(7), serde_json::json!(9)));
    assert!(lines[1]["id"].is_null() && lines[1]["error"].as_str().is_some_and(|e| e.contains("EOF")), "{}", lines[1]);
    assert!(stderr(&o).contains("stdin:2: invalid item"), "{}", stderr(&o));
    // Blank lines are answered too; ids come back as written, in error lines as well.
    let input = format!(
        "{}\n\n  \n{{\"id\": 1.5e2, \"text\": \"vắc xin\"}}\n{{\"id\": \"x\", \"text\": null}}\n",
        r#"{"id": 12345678901234567890123, "text": "vắc xin"}"#
    );
    let o = d.run(&["rules", "match"], Some(&input));
    let out = stdout(&o);
    let raw: Vec<&str> = out.lines().collect();
    assert_eq!(raw.len(), 5, "{out}");
    assert!(raw[0].starts_with(r#"{"id":12345678901234567890123,"#), "{}", raw[0]);
    assert!(raw[1].contains("empty line") && raw[2].contains("empty line"), "{out}");
    assert!(raw[3].starts_with(r#"{"id":1.5e2,"#), "{}", raw[3]);
    assert!(raw[4].starts_with(r#"{"id":"x","error":"#), "{}", raw[4]);
    let o = d.run(
        &["sentiment"],
        Some(
            "Cán bộ rất nhiệt tình, tôi rất hài lòng\nDịch vụ quá tệ, thất vọng\nHôm nay là thứ hai\n\
             Nghe xong thấy kinh khủng quá\nPhở ở đây ngon kinh khủng\n\
             Hàng dởm, dịch vụ như hạch\nQuán này 10 điểm không có nhưng\nLàm ăn chẳng ra gì\n\
             Gió thổi mở toang cánh cửa\nCầu vượt xong rồi, hết kẹt xe rồi mn ơi\n\
             Cảnh sát giao thông phân luồng tại nút giao\ncho hỏi mai có chạy xe buýt ko mn\n\
             Lực lượng chức năng đã giải tỏa ùn ứ tại cửa ngõ\n",
        ),
    );
    let labels: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["label"].as_str().unwrap().to_string())
        .collect();
    // `kinh khủng` alone is a complaint; after a term it only intensifies it. Social-post slang
    // and idioms count (`không` in `10 điểm không có nhưng` is no negation); `mở toang` (wide
    // open) is not `toang` (ruined). A trouble gone (`hết kẹt xe`) or cleared (`giải tỏa ùn ứ`)
    // is relief, `cảnh sát` is no `sát`, and `ko` before `mn` asks.
    assert_eq!(
        labels,
        [
            "positive", "negative", "neutral", "negative", "positive", "negative", "positive", "negative", "neutral",
            "positive", "neutral", "neutral", "positive"
        ]
    );
    // Slang intensifies as the formal words do: `ngon vl` is `ngon` made stronger.
    let o = d.run(&["sentiment"], Some("Phở ngon\nPhở ngon vl\nPhở ngon quá trời\n"));
    let scores: Vec<f64> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["score"].as_f64().unwrap())
        .collect();
    assert!(scores[0] > 0.0 && scores[1] > scores[0] && scores[2] > scores[0], "{scores:?}");
    // Scores and weights print as the short decimals they are, not widened to f64 digits
    // (-0.758, never -0.7580000162124634), in both commands.
    let input = format!("{}\n", serde_json::json!({"id": 1, "text": "Giá xăng tăng quá cao, người dân rất bức xúc"}));
    let matched = d.run(&["rules", "match"], Some(&input));
    let scored = d.run(&["sentiment"], Some("Giá xăng tăng quá cao, người dân rất bức xúc\n"));
    for out in [stdout(&matched), stdout(&scored)] {
        let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let score = line.get("sentiment").unwrap_or(&line)["score"].as_f64().unwrap();
        assert!(score < 0.0, "{out}");
        let digits = |n: &str| n.trim_start_matches('-').len();
        for number in out.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).filter(|n| n.contains('.')) {
            assert!(digits(number) <= 8, "{number} in {out}");
        }
    }
}

/// News reports requests, wishes and facts with a negator that an opinion voices: `--register
/// news` (and an item's `"register"` in `rules match`) reads them so.
#[test]
fn sentiment_reads_news_as_news() {
    let d = Duluan::new();
    let lines = "Tăng lương cơ sở cho cán bộ, công chức từ 1/7\n\
                 Chủ tịch thành phố yêu cầu đảm bảo an toàn giao thông dịp Tết\n\
                 Chưa ghi nhận ca mắc mới tại thành phố\n\
                 Cháy lớn tại chung cư, 3 người tử vong\n";
    let labels = |args: &[&str]| -> Vec<String> {
        let o = d.run(args, Some(lines));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["label"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(labels(&["sentiment", "--register", "news"]), ["neutral", "positive", "neutral", "negative"]);
    // Read as opinions (the default), the same lines are complaints.
    assert_eq!(labels(&["sentiment"]), ["negative", "negative", "negative", "negative"]);
    let o = d.run(&["sentiment", "--register", "blog"], Some(lines));
    assert!(!o.status.success() && stderr(&o).contains("opinion"), "{}", stderr(&o));
    let input = [
        serde_json::json!({"id": 1, "text": "Chưa ghi nhận ca mắc mới", "register": "news"}),
        serde_json::json!({"id": 2, "text": "Chưa ghi nhận ca mắc mới"}),
        serde_json::json!({"id": 3, "text": "Chưa ghi nhận ca mắc mới", "register": "blog"}),
    ]
    .map(|v| format!("{v}\n"))
    .concat();
    let matched = |args: &[&str]| -> Vec<serde_json::Value> {
        let o = d.run(args, Some(&input));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let lines = matched(&["rules", "match"]);
    assert_eq!(lines[0]["sentiment"]["label"], "neutral");
    assert_eq!(lines[1]["sentiment"]["label"], "negative");
    assert!(lines[2]["error"].as_str().is_some_and(|e| e.contains("register")), "{}", lines[2]);
    let lines = matched(&["rules", "match", "--register", "news"]);
    assert_eq!(lines[1]["sentiment"]["label"], "neutral");
}

/// `rules match` fires what the pipeline fires on the same item, however its lines break: the
/// pipeline stores text cleaned (every kind of line break a line feed, a control character a
/// space) and a title on one line.
#[test]
fn rules_match_fires_as_the_pipeline_does() {
    let d = Duluan::new();
    let rules = d.dir.path().join("phrase-rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("p.toml"), "[[rule]]\nid = \"p.fake\"\nseverity = \"low\"\nquery = '\"tin giả\"'\n")
        .unwrap();
    let config = d.dir.path().join("phrase.toml");
    std::fs::write(&config, format!("[rules]\ndir = {:?}\n", rules.to_str().unwrap())).unwrap();
    let cases = [
        ("", "Mở đầu tin\u{2028}giả kết thúc"),
        ("", "Mở đầu tin\u{2029}giả kết thúc"),
        ("", "Mở đầu tin\rgiả kết thúc"),
        ("", "Mở đầu tin\u{0}giả kết thúc"),
        ("", "Mở đầu tin\u{90}giả kết thúc"),
        ("", "Mở đầu tin giả kết thúc"),
        // A control after punctuation is a space, and ends the phrase as one would.
        ("", "Mở đầu tin.\u{7}giả kết thúc"),
        ("", "Mở đầu tin.\u{b}giả kết thúc"),
        ("", "Mở đầu tin…\u{90}giả kết thúc"),
        ("Cảnh báo tin\ngiả", "Nội dung"),
        ("Cảnh báo tin\u{2028}giả", "Nội dung"),
    ];
    let jsonl: String = cases
        .iter()
        .enumerate()
        .map(|(n, (title, text))| {
            let item =
                serde_json::json!({"id": n, "url": format!("https://vi.example/{n}"), "title": title, "text": text});
            format!("{item}\n")
        })
        .collect();
    let file = d.dir.path().join("breaks.jsonl");
    std::fs::write(&file, &jsonl).unwrap();
    let o = d.run(&["--config", config.to_str().unwrap(), "ingest", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = d.run(&["--config", config.to_str().unwrap(), "rules", "match"], Some(&jsonl));
    assert!(o.status.success(), "{}", stderr(&o));
    let matched: Vec<bool> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["flags"].as_array().is_some_and(|f| !f.is_empty())
        })
        .collect();
    let o = d.run(&["--config", config.to_str().unwrap(), "search", "rule:p.fake", "--format", "json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let found: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let stored: Vec<bool> = (0..cases.len())
        .map(|n| found["hits"].as_array().unwrap().iter().any(|h| h["url"] == format!("https://vi.example/{n}")))
        .collect();
    assert_eq!(matched, stored, "rules match against the pipeline, case by case: {cases:?}");
    // Line breaks end the phrase in the text, not in a title; a control character parts words as
    // a space does.
    assert_eq!(matched, [false, false, false, true, true, true, false, false, false, true, true]);
}

#[test]
fn rules_stats_lists_hits_precision_and_rules_to_review() {
    let d = Duluan::new();
    let o = d.run(&["ingest", fixture("ingest/good.jsonl").to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = d.run(&["rules", "stats", "--json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let row = |id: &str| rows.iter().find(|r| r["rule"] == id).unwrap_or_else(|| panic!("{id} missing: {rows:?}"));
    let gouging = row("prices.hoarding_gouging");
    assert!(gouging["alerts"].as_i64().unwrap() >= 1, "{gouging}");
    assert_eq!(gouging["precision"], serde_json::Value::Null, "nothing decided yet");
    assert_eq!(gouging["review"], serde_json::Value::Null);
    assert_eq!(row("health.vaccine_harm_rumor")["review"], "never fired");
    assert_eq!(row("health.vaccine_harm_rumor")["review_flags"][0]["code"], "never_fired");
    // The API's counts, each on its own: what precision is over is `decided`.
    for field in ["confirmed", "escalated", "dismissed", "decided"] {
        assert_eq!(gouging[field], 0, "{field}: {gouging}");
    }
    // Rules to review come first.
    let first_clean = rows.iter().position(|r| r["review"].is_null()).unwrap();
    assert!(rows[first_clean..].iter().all(|r| r["review"].is_null()), "{rows:?}");
    let table = d.run(&["rules", "stats"], None);
    assert!(stdout(&table).starts_with("rule ") && stdout(&table).contains("never fired"), "{}", stdout(&table));
    assert_eq!((gouging["enabled"].as_bool(), gouging["provenance"].as_str()), (Some(true), Some("pack")));
    // Without the prices pack its rule's alerts remain: a removed rule, not one turned off.
    let fewer = d.dir.path().join("fewer-rules");
    std::fs::create_dir_all(fewer.join("lexicons")).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    std::fs::copy(shipped.join("health.toml"), fewer.join("health.toml")).unwrap();
    for entry in std::fs::read_dir(shipped.join("lexicons")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, fewer.join("lexicons").join(path.file_name().unwrap())).unwrap();
    }
    let o = d.run(&["rules", "stats", "--json", "--rules", fewer.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let removed: serde_json::Value = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["rule"] == "prices.hoarding_gouging")
        .unwrap_or_else(|| panic!("{}", stdout(&o)));
    assert_eq!(
        (removed["enabled"].clone(), removed["provenance"].as_str()),
        (serde_json::Value::Null, Some("removed"))
    );
    let o = d.run(&["rules", "stats", "--rules", fewer.to_str().unwrap()], None);
    assert!(stdout(&o).contains("prices.hoarding_gouging (removed)"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("(off)"), "{}", stdout(&o));
    // The API's orders and filter: by hits the busiest rule first; only those to review.
    let rules = |args: &[&str]| -> Vec<serde_json::Value> {
        let o = d.run(&[&["rules", "stats", "--json"], args].concat(), None);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let by_hits = rules(&["--sort", "hits"]);
    let hits: Vec<u64> = by_hits.iter().map(|r| r["hits"].as_u64().unwrap_or(0)).collect();
    assert!(hits.windows(2).all(|w| w[0] >= w[1]) && hits[0] > 0, "{hits:?}");
    let to_review = rules(&["--needs-review"]);
    assert!(!to_review.is_empty() && to_review.iter().all(|r| !r["review"].is_null()), "{to_review:?}");
    assert!(to_review.len() < rows.len());
    let o = d.run(&["rules", "stats", "--sort", "nonsense"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn rules_backtest_runs_a_draft_over_the_archive() {
    let d = Duluan::new();
    let o = d.run(&["ingest", fixture("ingest/good.jsonl").to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    // A disabled draft using a list of the shipped packs: back-testing runs it anyway.
    let draft = d.dir.path().join("draft.toml");
    std::fs::write(
        &draft,
        "[pack]\nid = \"draft\"\n\n[[rule]]\nid = \"draft.fuel\"\nseverity = \"medium\"\nmode = \"folded\"\n\
         query = '\"het hang\" OR \"cay xang\" OR @vaccine_terms'\naction = \"tag\"\nenabled = false\n",
    )
    .unwrap();
    let o = d.run(&["rules", "backtest", draft.to_str().unwrap(), "--days", "3650", "--json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1, "only the file's rules are reported: {rows:?}");
    let fuel = &rows[0];
    assert_eq!(fuel["rule"], "draft.fuel");
    assert_eq!(fuel["items_checked"], 3);
    assert_eq!(fuel["hits"], 1, "{fuel}");
    assert_eq!(fuel["stories"], 1);
    assert_eq!(fuel["per_day"]["2026-11-15"], 1, "{fuel}");
    // Every day of the window is there, days without a hit too, as whole days in Vietnam.
    assert_eq!(fuel["per_day"]["2026-11-14"], 0, "{fuel}");
    assert_eq!(fuel["per_day"].as_object().map(|days| days.len()), Some(3650));
    assert_eq!((fuel["time_zone"].as_str(), fuel["to"].as_str().map(str::len)), (Some("+07:00"), Some(10)));
    assert_eq!(fuel["sample"][0]["url"], "https://phoco.example/kinh-te/khan-hiem-xang.html");
    assert_eq!(fuel["sample"][0]["day"], "2026-11-15", "a hit is shown on the day it counts on: {fuel}");
    // Each term once, in text order, though both occur in the title and again in the text.
    assert_eq!(fuel["sample"][0]["terms"], serde_json::json!(["cay xang", "het hang"]), "{fuel}");
    // What the folded terms found, as written in the item.
    assert_eq!(
        fuel["sample"][0]["matched"],
        serde_json::json!([{"term": "cay xang", "text": "cây xăng"}, {"term": "het hang", "text": "hết hàng"}]),
        "{fuel}"
    );
    let text = d.run(&["rules", "backtest", draft.to_str().unwrap(), "--days", "3650"], None);
    assert!(stdout(&text).starts_with("draft.fuel: 1 hits in 1 stories among 3 items"), "{}", stdout(&text));
    assert!(stdout(&text).contains("  · 2026-11-15  Cây xăng treo biển hết hàng"), "{}", stdout(&text));
    assert!(stdout(&text).contains("[cay xang «cây xăng», het hang «hết hàng»]"), "{}", stdout(&text));
    assert!(stdout(&text).contains("days in Vietnam)\n  2026-11-15       1  "), "{}", stdout(&text));
    // A pack of the rules directory itself: its rules replace the directory's, not doubled.
    let prices = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/prices.toml");
    let o = d.run(&["rules", "backtest", prices.to_str().unwrap(), "--days", "3650", "--json"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let ids: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["rule"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.contains(&"prices.hoarding_gouging".to_string()) && ids.iter().all(|id| id.starts_with("prices.")),
        "{ids:?}"
    );
    let broken = d.dir.path().join("broken.toml");
    std::fs::write(&broken, "[[rule]]\nid = \"x\"\nseverity = \"high\"\nquery = \"(a OR\"\n").unwrap();
    let o = d.run(&["rules", "backtest", broken.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("broken.toml:4"), "{}", stderr(&o));
}

/// `sentiment` and `rules match` only read: with no rules directory they use the built-in pack
/// without writing it into the data directory, and `rules check` checks that same pack. Dates
/// and ids are read as `ingest` and the help say.
#[test]
fn read_only_commands_write_nothing_and_read_items_as_ingest_does() {
    let d = Duluan::new();
    let config = d.dir.path().join("no-rules.toml");
    std::fs::write(&config, format!("[rules]\ndir = {:?}\n", d.dir.path().join("missing").display().to_string()))
        .unwrap();
    let with = |args: &[&str], input: Option<&str>| {
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        d.run(&all, input)
    };
    let o = with(&["sentiment"], Some("hk hài lòng chút nào\n"));
    assert!(o.status.success() && stdout(&o).contains("\"negative\""), "{}{}", stdout(&o), stderr(&o));
    let o = with(&["rules", "check"], None);
    assert!(o.status.success() && stdout(&o).starts_with("ok:"), "{}{}", stdout(&o), stderr(&o));
    let items = [
        serde_json::json!({"id": 1, "text": "vắc xin", "published_at": "2026-10-05"}),
        serde_json::json!({"id": 2, "text": "vắc xin", "published_at": ""}),
        serde_json::json!({"id": 3, "text": "vắc xin", "published_at": "giờ G"}),
    ];
    let input: String = items.iter().map(|i| format!("{i}\n")).collect();
    let o = with(&["rules", "match"], Some(&input));
    let lines: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0]["flags"].is_array() && lines[1]["flags"].is_array(), "{}", stdout(&o));
    let error = lines[2]["error"].as_str().unwrap_or_default();
    assert!(lines[2]["id"] == 3 && error.contains("published_at `giờ G`"), "{}", stdout(&o));
    assert!(!d.data_dir().join("rules-default").exists(), "a read-only command unpacked rules into the data directory");
    // A line with a bad byte still names its id.
    let mut c = d.cmd();
    c.args(["rules", "match"]).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"{\"id\":5,\"title\":\"x\",\"text\":\"y\xff\"}\n")
        .unwrap();
    drop(child.stdin.take());
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert!(out.starts_with("{\"id\":5,\"error\":\"not UTF-8"), "{out}");
}

/// A WARC archive (plain or gzip-compressed) gives its HTML responses as pages, each under the
/// address it was fetched from; requests, other statuses and a broken tail are read past or named.
#[test]
fn ingest_reads_the_pages_of_warc_archives() {
    let d = Duluan::new();
    let html = std::fs::read(fixture("pages/vi-article.html")).unwrap();
    let record = |kind: &str, uri: &str, block: &[u8]| {
        let content_type = if kind == "resource" { "text/html" } else { "application/http; msgtype=response" };
        let head = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        );
        [head.as_bytes(), block, b"\r\n\r\n"].concat()
    };
    let response = |status: &str| {
        [format!("HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n").as_bytes(), &html].concat()
    };
    let archive = [
        record("request", "https://phoco.example/kinh-te/trung-ga.html", b"GET / HTTP/1.1\r\n\r\n"),
        record("response", "https://phoco.example/kinh-te/trung-ga.html", &response("200 OK")),
        record("response", "https://phoco.example/mat.html", &response("404 Not Found")),
        b"WARC/1.0\r\nWARC-Type: response\r\n".to_vec(),
    ]
    .concat();
    let plain = d.dir.path().join("crawl.warc");
    std::fs::write(&plain, &archive).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Another page: two copies of one page are one item, whichever is read first.
    let other = std::fs::read(fixture("pages/en-article.html")).unwrap();
    std::io::Write::write_all(&mut gz, &record("resource", "https://phoco.example/ferry.html", &other)).unwrap();
    let dir = d.dir.path().join("warcs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("more.warc.gz"), gz.finish().unwrap()).unwrap();
    let o = d.run(&["ingest", plain.to_str().unwrap(), dir.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("ingested 2 records") && stdout(&o).contains("1 unreadable inputs"), "{}", stdout(&o));
    assert!(stderr(&o).contains("crawl.warc: record 4: the file ends inside the record's headers"), "{}", stderr(&o));
    for (query, url) in
        [("trứng gà", "https://phoco.example/kinh-te/trung-ga.html"), ("ferry", "https://phoco.example/ferry.html")]
    {
        let found = d.run(&["search", query, "--format", "json"], None);
        let json: serde_json::Value = serde_json::from_str(stdout(&found).trim()).unwrap();
        let urls: Vec<&str> = json["hits"].as_array().unwrap().iter().filter_map(|h| h["url"].as_str()).collect();
        assert_eq!(urls, [url], "{query}");
    }
}

/// `search --collapse` gives one row per story: a syndicated copy folds into its story's row,
/// which counts it.
#[test]
fn search_collapses_syndicated_copies_into_their_story() {
    let d = Duluan::new();
    let text = "Sáng nay, Sở Giao thông vận tải thành phố thông báo phân luồng giao thông trên cầu Long Biên \
                để sửa chữa mặt cầu trong ba tuần, người dân nên đi cầu Chương Dương hoặc cầu Vĩnh Tuy.";
    let items: String = ["https://a.example/phan-luong.html", "https://b.example/tin/phan-luong-cau.html"]
        .iter()
        .map(|url| format!("{}\n", serde_json::json!({"url": url, "title": "Phân luồng cầu Long Biên", "text": text})))
        .collect();
    let file = d.dir.path().join("copies.jsonl");
    std::fs::write(&file, items).unwrap();
    let o = d.run(&["ingest", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = |collapse: bool| {
        let mut args = vec!["search", "Long Biên", "--format", "json"];
        if collapse {
            args.push("--collapse");
        }
        let o = d.run(&args, None);
        let json: serde_json::Value =
            serde_json::from_str(stdout(&o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        json["hits"].as_array().unwrap().iter().map(|h| h["similar"].as_u64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(rows(false), [0, 0]);
    assert_eq!(rows(true), [1]);
}
