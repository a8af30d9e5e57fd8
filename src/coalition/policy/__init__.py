"""The release decision engine and its vocabulary: security labels, banners, STANAG 4774.

Pure: facts in, results out, no I/O. Services load the facts; this package decides.
"""
