//! Language identification on hand-written examples (the measured figures come from
//! `examples/lang_eval.rs` on real data).

use duluan_text::detect_language;

#[test]
fn vietnamese_with_and_without_diacritics() {
    for text in [
        "Người dân thành phố đổ xô đi mua khẩu trang sau tin đồn dịch bệnh.",
        "Nguoi dan thanh pho do xo di mua khau trang sau tin don dich benh.",
        "nghe noi tiem vac xin xong bi vo sinh, ko biet co that khong moi nguoi oi",
        "Thông tin này là sai sự thật",
        "thong tin nay la sai su that",
        "khau trang het roi",
        "gia xang tang manh",
        "UBND TP HCM vừa ban hành quyết định mới về COVID-19",
    ] {
        assert_eq!(detect_language(text, None).code, "vi", "{text}");
    }
}

#[test]
fn other_latin_languages_are_not_vietnamese() {
    for text in [
        "The city council approved the new budget for public transport on Monday.",
        "Le conseil municipal a approuvé le nouveau budget des transports publics lundi.",
        "El consejo de la ciudad aprobó el nuevo presupuesto para el transporte público.",
        "Der Stadtrat hat am Montag den neuen Haushalt für den öffentlichen Verkehr beschlossen.",
        "Dewan kota menyetujui anggaran baru untuk transportasi umum pada hari Senin.",
        "Inaprubahan ng konseho ng lungsod ang bagong badyet para sa pampublikong transportasyon.",
        "Il consiglio comunale ha approvato il nuovo bilancio per il trasporto pubblico lunedì.",
        "Nu s-a specificat o adresă",
        "do not go to the",
        "Zurück in die Auguststraße in Berlin.",
        "Àwọn Erékùṣù Káímàn",
    ] {
        assert_ne!(detect_language(text, None).code, "vi", "{text}");
    }
    assert_eq!(detect_language("The city council approved the new budget for public transport.", None).code, "en");
}

#[test]
fn mixed_pages_go_by_majority() {
    let vi = "Sáng nay, Bộ Y tế cho biết đã tiếp nhận thêm một triệu liều vắc xin và sẽ phân bổ cho các tỉnh thành.";
    let en = "The ministry said it had received another million doses and would distribute them to the provinces.";
    assert_eq!(detect_language(&format!("{vi} {vi} {en}"), None).code, "vi");
    assert_eq!(detect_language(&format!("{en} {en} {en} {vi}"), None).code, "en");
}

#[test]
fn short_and_empty_text() {
    assert_eq!(detect_language("OK", Some("vi-VN")).code, "vi");
    assert_eq!(detect_language("", None).code, "und");
    assert_eq!(detect_language("12345 !!!", None).code, "und");
    let l = detect_language("Hà Nội", None);
    assert_eq!(l.code, "vi");
    assert!((0.0..=1.0).contains(&l.confidence));
}
