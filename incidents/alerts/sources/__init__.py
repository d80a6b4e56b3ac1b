"""One normalizer per source: raw payload in, `AlertIn`s out, `PayloadError` when malformed."""
