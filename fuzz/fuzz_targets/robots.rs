//! robots.txt as the crawler reads it (`robotxt`, for the `duluan` agent) on arbitrary bytes:
//! no panic on parsing or on matching paths, and a file without any `Disallow` line forbids
//! nothing. (Like Google's parser it also reads misspellings such as `Dissallow` and `Diasllow`,
//! so the check looks for `dis`/`dia` rather than the exact word.) Input: the robots.txt, then (after a NUL byte) one path per line to check.

#![no_main]

use libfuzzer_sys::fuzz_target;
use robotxt::Robots;

fuzz_target!(|data: &[u8]| {
    let (body, paths) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"/\n/tin-tuc/bai-1.html"[..]),
    };
    let robots = Robots::parse(body, duluan_crawl::ROBOTS_AGENT);
    let _ = robots.crawl_delay();
    let lower = String::from_utf8_lossy(body).to_ascii_lowercase();
    let no_disallow = !lower.contains("dis") && !lower.contains("dia");
    for path in String::from_utf8_lossy(paths).lines() {
        let allowed = robots.is_allowed(path);
        if no_disallow {
            assert!(allowed, "{path:?} refused by a robots.txt without Disallow");
        }
    }
});
