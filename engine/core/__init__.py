"""The base layer: errors, dates, file reads with limits and text escaping, used by every layer."""
