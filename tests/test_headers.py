"""Which security headers orcon serve adds, by address (orcon.api.headers)."""

from orcon.api.headers import API_DOCS, PAGES, REPORTS, headers_for, policy


def test_pages_run_only_orcon_s_own_code_and_reports_none():
    assert policy("/") == policy("/items/itm_1") == policy("/api/items") == PAGES
    assert "'unsafe-inline'" not in PAGES and "frame-ancestors 'none'" in PAGES
    assert policy("/reports/12") == REPORTS
    assert "script-src" not in REPORTS and "default-src 'none'" in REPORTS
    assert policy("/docs") == policy("/redoc") == API_DOCS


def test_nothing_is_cached_but_static_files_and_https_is_kept_to_behind_https():
    assert headers_for("/items/itm_1", secure=False)["Cache-Control"] == "no-store"
    assert "Cache-Control" not in headers_for("/static/orcon.css", secure=False)
    assert "Strict-Transport-Security" not in headers_for("/", secure=False)
    assert headers_for("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert headers_for("/", secure=False)["Referrer-Policy"] == "no-referrer"
