"""Run Python trafilatura over pages exported by the `eval` example and time it.

    python bench-extract.py PAGES.jsonl OUT.jsonl

PAGES.jsonl has one {id, url, html} per line (html already decoded, as duluan-extract sees it).
OUT.jsonl gets {id, text, date, seconds} per page; `eval --score-jsonl OUT.jsonl` scores it with
the same tokenisation as duluan-extract. One process, one thread: docs/s is per core. The call is
`trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)`, the
settings trafilatura's own evaluation uses for main text, plus metadata (title, date) since
duluan-extract produces those too.
"""

import json
import sys
import time

import trafilatura


def main() -> None:
    pages_path, out_path = sys.argv[1], sys.argv[2]
    pages = [json.loads(line) for line in open(pages_path, encoding="utf-8")]
    # Warm-up: the first call loads lazily imported modules.
    trafilatura.bare_extraction(pages[0]["html"], url=pages[0]["url"], with_metadata=True, include_comments=False)
    total = 0.0
    with open(out_path, "w", encoding="utf-8") as out:
        for page in pages:
            start = time.perf_counter()
            try:
                doc = trafilatura.bare_extraction(
                    page["html"], url=page["url"], with_metadata=True, include_comments=False
                )
            except Exception:  # noqa: BLE001 - a failure scores as empty output
                doc = None
            seconds = time.perf_counter() - start
            total += seconds
            text = (doc.text if doc is not None else "") or ""
            date = doc.date if doc is not None else None
            out.write(json.dumps({"id": page["id"], "text": text, "date": date, "seconds": seconds}) + "\n")
    print(f"trafilatura {trafilatura.__version__}: {len(pages)} pages in {total:.1f} s, "
          f"{len(pages) / total:.1f} docs/s", file=sys.stderr)


if __name__ == "__main__":
    main()
