"""What the leak watch takes from a news page: its text, pictures and linked documents."""

from __future__ import annotations

from orcon.match.articles import article, srcset_choice

PAGE = """<!DOCTYPE html><html><head>
<meta property="og:image" content="https://cdn.news.example/lead-1200.jpg">
<meta name="twitter:image" content="https://cdn.news.example/lead-1200.jpg">
<title>Harbour Road</title></head><body><article>
<h1>Harbour Road</h1>
<p>Police are investigating a fire at a warehouse on Harbour Road in the early hours.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/lazy.avif" alt="">
<img src="/img/small.jpg"
     srcset="https://img.example/w_480,h_320/a.jpg 480w,
             https://img.example/w_1200,h_800/a.jpg 1200w,
             https://img.example/w_2400,h_1600/a.jpg 2400w">
<picture><source type="image/avif" srcset="/img/b-800.avif 800w, /img/b-1600.avif 1600w">
<img src="/img/b-800.jpg"></picture>
<img src="/img/retina.png" srcset="/img/retina.png 1x, /img/retina@2x.png 2x">
<a href="/docs/memo.pdf#page=2">the memo</a> <a href="/about">About</a>
<a href="https://files.example/leak-dump.zip">all the files</a>
</article></body></html>"""


def test_a_news_page_gives_its_lead_photo_and_each_pictures_best_address():
    """The lead photo in the page's metadata comes first (a link preview's picture); a
    lazily loaded picture is taken from data-src, not its placeholder; of a responsive
    set the narrowest candidate at least 1,000 px wide (the shared photos' features are
    taken at 1,024 px), and a URL with commas in it is kept whole."""
    found = article(PAGE.encode(), "https://news.example/2026/12/harbour-road", max_images=8)
    assert found.images == [
        "https://cdn.news.example/lead-1200.jpg",
        "https://news.example/img/lazy.avif",
        "https://img.example/w_1200,h_800/a.jpg",
        "https://news.example/img/b-1600.avif",
        "https://news.example/img/b-800.jpg",
        "https://news.example/img/retina@2x.png",
    ]
    assert found.documents == [
        "https://news.example/docs/memo.pdf",
        "https://files.example/leak-dump.zip",
    ]
    assert "warehouse on Harbour Road" in found.text
    assert len(article(PAGE.encode(), "https://news.example/", max_images=2).images) == 2


def test_a_srcset_is_read_as_html_reads_it():
    assert srcset_choice("a.jpg 300w, b.jpg 640w") == "b.jpg"  # none wide enough: the widest
    assert srcset_choice("a.jpg 1000w,b.jpg 2000w") == "a.jpg"  # no space after the comma
    assert srcset_choice("x,y.jpg") == "x,y.jpg"  # a URL runs to the next space
    assert srcset_choice("only.jpg") == "only.jpg"
    assert srcset_choice("a.jpg 1x, b.jpg 3x, c.jpg 2x") == "b.jpg"
    assert srcset_choice("  ,  ") is None


def test_a_feed_entry_names_its_pictures():
    """Media RSS content and thumbnails, image enclosures and pictures in the summary:
    what the watch can still look at when the article's page is refused (a paywall)."""
    from orcon.match.articles import feed_entries

    feed = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>News</title>
<item><title>Pictured</title><link>/2026/12/scene</link>
<media:content url="https://img.example/scene-1600.jpg" medium="image" width="1600"/>
<media:content url="https://img.example/clip.mp4" medium="video"/>
<media:thumbnail url="https://img.example/scene-320.jpg"/>
<enclosure url="https://img.example/scene.webp" type="image/webp" length="1"/>
<enclosure url="https://img.example/podcast.mp3" type="audio/mpeg" length="1"/>
<description><![CDATA[<p>The van.</p><img src="/inline/van.png">]]></description>
</item></channel></rss>"""
    (entry,) = feed_entries(feed, "https://news.example/rss.xml")
    assert entry.url == "https://news.example/2026/12/scene" and entry.summary == "The van."
    assert entry.images == (
        "https://img.example/scene-1600.jpg",
        "https://img.example/scene-320.jpg",
        "https://img.example/scene.webp",
        "https://news.example/inline/van.png",
    )
