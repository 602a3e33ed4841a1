"""The caching proxy of the upstream index (issue 11): client, pages, cache, files, policy."""
