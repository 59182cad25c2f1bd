"""Leak watch: poll public feeds and pages, recognise shared material and embargoed facts, alert."""
