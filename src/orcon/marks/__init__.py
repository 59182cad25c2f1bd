"""Media fingerprints: write a codeword into a copy, read soft symbols back from a leak.

Each media type is an embedder/reader pair that knows nothing about people
(:mod:`orcon.codes` turns symbols into accusations).
"""
